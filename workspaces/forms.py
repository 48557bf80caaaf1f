"""Forms for workspace settings. Secret fields are write-only: they never render a stored value."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from outbound.endpoints import connection_string_endpoints, validate_endpoint
from workspaces.models import Connection, Membership
from workspaces.services import validate_container

KEEP_HINT = "Leave empty to keep the stored value."


class SecretInput(forms.PasswordInput):
    def __init__(self) -> None:
        super().__init__(render_value=False, attrs={"autocomplete": "new-password"})


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100)


class _ConnectionForm(forms.Form):
    """Common handling of the write-only secret and its 'clear' box."""

    secret = forms.CharField(required=False, widget=SecretInput(), strip=True)
    clear_secret = forms.BooleanField(required=False, label="Remove the stored secret")

    def __init__(self, *args, connection: Connection, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connection = connection
        if connection.has_secret:
            self.fields["secret"].help_text = f"A secret is stored. {KEEP_HINT}"

    def secret_value(self) -> str | None:
        """None keeps the stored secret, "" clears it."""
        if self.cleaned_data.get("clear_secret"):
            return ""
        return self.cleaned_data.get("secret") or None

    def clean_endpoint(self) -> str:
        value = self.cleaned_data.get("endpoint", "")
        return validate_endpoint(value) if value else ""


class CustomVisionForm(_ConnectionForm):
    endpoint = forms.CharField(
        label="Training endpoint",
        required=False,
        help_text="From the Custom Vision training resource's Keys and Endpoint page, "
        "e.g. https://myresource.cognitiveservices.azure.com/",
    )
    field_order = ["endpoint", "secret", "clear_secret"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secret"].label = "Training key"


class VisionForm(_ConnectionForm):
    endpoint = forms.CharField(
        label="Vision endpoint",
        required=False,
        help_text="The Azure AI Vision (or multi-service) resource endpoint.",
    )
    field_order = ["endpoint", "secret", "clear_secret"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secret"].label = "Key"


class StorageForm(_ConnectionForm):
    storage_auth = forms.ChoiceField(
        label="Storage", choices=Connection.StorageAuth.choices, widget=forms.RadioSelect
    )
    endpoint = forms.CharField(
        label="Account URL",
        required=False,
        help_text="e.g. https://myaccount.blob.core.windows.net (not needed for local files "
        "or a connection string).",
    )
    container = forms.CharField(label="Container", max_length=63)
    field_order = ["storage_auth", "endpoint", "secret", "clear_secret", "container"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secret"].label = "Account key, SAS token or connection string"

    def clean_container(self) -> str:
        return validate_container(self.cleaned_data["container"].strip())

    def clean(self) -> dict:
        data = super().clean()
        auth = data.get("storage_auth")
        has_secret = bool(data.get("secret")) or (self.connection.has_secret and not data.get("clear_secret"))
        if auth in ("account_key", "sas") and not data.get("endpoint"):
            self.add_error("endpoint", "Enter the storage account URL.")
        if auth in ("account_key", "sas", "connection_string") and not has_secret:
            self.add_error("secret", "Enter the account key, SAS token or connection string.")
        if auth == "connection_string" and data.get("secret"):
            self._check_connection_string(data["secret"])
        if auth == "local":
            data["endpoint"] = ""
        return data

    def _check_connection_string(self, value: str) -> None:
        """Every endpoint in it passes the same rule as an account URL (the string is never echoed)."""
        endpoints = connection_string_endpoints(value)
        if not endpoints and "usedevelopmentstorage=true" not in value.replace(" ", "").lower():
            self.add_error("secret", "This connection string names no account or endpoint.")
        for endpoint in endpoints:
            try:
                validate_endpoint(endpoint)
            except ValidationError as exc:
                self.add_error("secret", f"The connection string's endpoint is refused: {exc.messages[0]}")
                return


CONNECTION_FORMS: dict[str, type[_ConnectionForm]] = {
    Connection.Kind.CUSTOM_VISION: CustomVisionForm,
    Connection.Kind.STORAGE: StorageForm,
    Connection.Kind.VISION: VisionForm,
}


def connection_form(kind: str, connection: Connection, data=None) -> _ConnectionForm:
    initial = {
        "endpoint": connection.endpoint,
        "storage_auth": connection.storage_auth or Connection.StorageAuth.LOCAL,
        "container": connection.container,
    }
    return CONNECTION_FORMS[kind](data, connection=connection, initial=initial, prefix=kind)


class MemberAddForm(forms.Form):
    # Django's own username rules (letters, digits and @ . + - _), as createsuperuser and the admin apply them.
    username = forms.CharField(
        max_length=User._meta.get_field("username").max_length,
        validators=[User.username_validator],
        help_text="Letters, digits and @ . + - _ only.",
    )
    email = forms.EmailField(required=False, help_text="Only used when a new account is created.")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def clean_username(self) -> str:
        value = self.cleaned_data["username"].strip()
        if not value:
            raise ValidationError("Enter a username.")
        return value


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
