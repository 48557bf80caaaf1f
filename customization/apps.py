from __future__ import annotations

from django.apps import AppConfig

RETRY = "customization.services.retry"


class CustomizationConfig(AppConfig):
    name = "customization"
    verbose_name = "Model customization"

    def ready(self) -> None:
        from jobs.registry import JobKind, kind_register

        kind_register(
            "register_dataset",
            JobKind(
                label="Register dataset",
                service="customization.services.datasets.dataset_register",
                retry_offer=f"{RETRY}.register_retry_offer",
                result_template="customization/_registration_result.html",
            ),
        )
        kind_register(
            "train_model",
            JobKind(
                label="Train model",
                service="customization.services.training.model_train",
                queue="interactive",
                retry=f"{RETRY}.train_retry",
                retry_offer=f"{RETRY}.train_retry_offer",
                result_template="customization/_training_result.html",
            ),
        )
        kind_register(
            "evaluate_model",
            JobKind(
                label="Evaluate model",
                service="customization.services.training.model_evaluate",
                queue="interactive",
                retry=f"{RETRY}.evaluate_retry",
                retry_offer=f"{RETRY}.evaluate_retry_offer",
                result_template="customization/_evaluation_result.html",
            ),
        )
        kind_register(
            "predict",
            JobKind(
                label="Prediction",
                service="customization.services.training.predict",
                queue="interactive",
                retry_offer=f"{RETRY}.predict_retry_offer",
                result_template="customization/_prediction.html",
                keep_days_setting="PREDICTION_RETENTION_DAYS",
                on_expire="customization.services.training.prediction_files_delete",
            ),
        )
        # Batch, not interactive: it holds its worker for one prediction call per image (minutes
        # for a large dataset), which on the interactive queue would keep Try it out waiting.
        kind_register(
            "analyze_errors",
            JobKind(
                label="Analyze errors",
                service="customization.services.analysis.errors_analyze",
                queue="batch",
                result_template="customization/_analysis_result.html",
            ),
        )
