"""Validation of Azure ML AutoML image data: a JSONL file, line by line, and the MLTable beside it.

The report has the COCO validator's shape (customization.validation.Report.as_dict: groups by rule,
each with its severity, what is wrong, the fix, how often and the first places), so the pages show
both the same way. Every place names its line. Checks (docs/export.md, "The validator"):

- each line is UTF-8 and one JSON object, with no blank line (``invalid_lines: error`` fails on it);
- ``image_url`` is a datastore URI (``azureml://subscriptions/…/datastores/<name>/paths/<path>``);
  a blob URL is refused (AutoML reads through a datastore); one datastore for the whole file;
- ``image_details``: a format AutoML reads, width and height a positive integer or ``"400px"``;
- ``label`` has the task's shape: a string, a list of strings, or a list of boxes whose corners are
  numbers in [0, 1] with ``topX < bottomX`` and ``topY < bottomY``, and ``isCrowd`` 0/1;
- at least 10 images to train on, and 10 per label recommended;
- every image named exists in the container (``exists`` answers that, in one listing);
- the MLTable: ``paths`` names this JSONL, ``read_json_lines`` and the ``stream_info`` conversion of
  ``image_url``.

It never raises: whatever the bytes, the answer is a report.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from urllib.parse import unquote

from jobs.reports import Report as BaseReport
from migrator.automl import FORMATS, MIN_IMAGES, MIN_PER_LABEL, TASK_LABELS, TASKS

SHOWN_CHARS = 120
MAX_LINE_BYTES = 1 << 20
INFER_FROM = 200  # lines read to tell the task when it is not given
URI = re.compile(
    r"azureml://subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/workspaces/(?P<ws>[^/]+)"
    r"/datastores/(?P<ds>[^/]+)/paths/(?P<path>[^?#]+)",
    re.IGNORECASE,
)
PIXELS = re.compile(r"[1-9][0-9]{0,5}px")
CORNERS = ("topX", "topY", "bottomX", "bottomY")


class Report(BaseReport):
    """The COCO report's shape; ``kind`` is the AutoML task, shown by its label."""

    def as_dict(self) -> dict:
        return super().as_dict() | {"kind": TASK_LABELS.get(self.kind, self.kind), "task": self.kind}


def _text(value: object) -> str:
    """A value as a place shows it: short, and never raising (a 5,000-digit int, deep nesting)."""
    if isinstance(value, str):
        return json.dumps(
            value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…", ensure_ascii=False
        )
    if isinstance(value, bool) or value is None:
        return "null" if value is None else str(value).lower()
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else f"a {value.bit_length()}-bit number"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"an object of {len(value)} keys"
    return type(value).__name__


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shape(label: object) -> str:
    """The task a label's shape belongs to, or "" when it fits none."""
    if isinstance(label, str):
        return TASKS["multiclass"]
    if isinstance(label, list) and label:
        if all(isinstance(item, dict) for item in label):
            return TASKS["detection"]
        if all(isinstance(item, str) for item in label):
            return TASKS["multilabel"]
    return ""


SHAPE_WORDS = {
    TASKS["multiclass"]: "a string (multiclass classification)",
    TASKS["multilabel"]: "a list of strings (multilabel classification)",
    TASKS["detection"]: "a list of boxes (object detection)",
    "": "neither a string, a list of strings nor a list of boxes",
}
SHAPE_FIX = {
    TASKS["multiclass"]: 'Give each image one class name as a string: "label": "cat".',
    TASKS["multilabel"]: 'Give each image a list of class names: "label": ["cat", "dog"].',
    TASKS["detection"]: (
        'Give each image a list of boxes: "label": [{"label": "cat", "topX": 0.1, "topY": 0.2, '
        '"bottomX": 0.5, "bottomY": 0.6, "isCrowd": 0}].'
    ),
}


class _Lines:
    """Checks one line at a time; keeps per image only its path (for the existence check)."""

    def __init__(self, report: Report, task: str | None, blob_base: str = "") -> None:
        self.report = report
        self.task = task
        self.blob_base = blob_base
        self.datastores: Counter = Counter()
        self.paths: dict[str, int] = {}  # blob path -> first line naming it
        self.per_label: Counter = Counter()

    def line(self, number: int, raw: bytes) -> None:
        report, at = self.report, f"line {number}"
        if len(raw) > MAX_LINE_BYTES:
            report.add(
                "line_too_long",
                "error",
                f"A line is longer than {MAX_LINE_BYTES // 1024} KiB.",
                "One image per line: check that the file was not written without its newlines.",
                at,
            )
            return
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.add(
                "line_not_utf8",
                "error",
                "A line is not UTF-8 text.",
                "Write the file as UTF-8 (the MLTable reads it with encoding: utf8).",
                f"{at}, byte {exc.start + 1}",
            )
            return
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            report.add(
                "line_blank",
                "error",
                "A blank line: read_json_lines with invalid_lines: error stops on it.",
                "Delete the blank line (the file may end with one newline).",
                at,
            )
            return
        try:
            entry = json.loads(text)
        except (ValueError, RecursionError) as exc:
            reason = (
                exc.msg if isinstance(exc, json.JSONDecodeError) else "too deeply nested or too long a number"
            )
            report.add(
                "line_not_json",
                "error",
                "A line is not valid JSON.",
                "Write one complete JSON object per line (no line breaks inside an object, no trailing commas).",
                f"{at}: {reason}",
            )
            return
        if not isinstance(entry, dict):
            report.add(
                "line_not_object",
                "error",
                "A line is JSON, but not an object.",
                'Write one object per line: {"image_url": …, "label": …}.',
                f"{at}: {_text(entry)}",
            )
            return
        report.images += 1
        self.image_url(at, number, entry.get("image_url", None), "image_url" in entry)
        self.details(at, entry.get("image_details"), "image_details" in entry)
        self.label(at, entry.get("label"), "label" in entry)

    def image_url(self, at: str, number: int, url: object, present: bool) -> None:
        report = self.report
        if not present or not isinstance(url, str) or not url:
            report.add(
                "image_url_missing",
                "error",
                "A line has no image_url string.",
                "Give every line the image's datastore URI in image_url.",
                f"{at}: {_text(url) if present else 'no image_url'}",
            )
            return
        match = URI.fullmatch(url)
        if match is None:
            blob = url.lower().startswith(("https://", "http://"))
            report.add(
                "image_url_blob" if blob else "image_url_pattern",
                "error",
                "image_url is a blob URL: AutoML reads images only through an Azure ML datastore."
                if blob
                else "image_url is not an Azure ML datastore URI.",
                "Register a datastore on the storage container and export again with its URI prefix, or "
                "replace the container URL by azureml://subscriptions/<subscription>/resourcegroups/<group>/"
                "workspaces/<workspace>/datastores/<datastore>/paths/.",
                f"{at}: {_text(url)}",
            )
            if not (self.blob_base and url.startswith(self.blob_base)):
                return
            path = unquote(url[len(self.blob_base) :].split("?", 1)[0])  # still checked: it is ours
        else:
            self.datastores[tuple(match.group("sub", "rg", "ws", "ds"))] += 1
            path = unquote(match["path"])
        if path not in self.paths:
            self.paths[path] = number
        else:
            report.add(
                "image_duplicate",
                "warning",
                "An image is named on more than one line: AutoML trains on it twice.",
                "Keep one line per image, with all of its labels.",
                f"{at}: {_text(path)}, first on line {self.paths[path]}",
            )

    def details(self, at: str, details: object, present: bool) -> None:
        report = self.report
        if not present:
            return
        if not isinstance(details, dict):
            report.add(
                "image_details_not_object",
                "error",
                "image_details is not an object.",
                'Write image_details as {"format": "jpg", "width": 400, "height": 300}, or leave it out.',
                f"{at}: {_text(details)}",
            )
            return
        fmt = details.get("format")
        if "format" in details and not (isinstance(fmt, str) and fmt.lower() in FORMATS):
            report.add(
                "image_format",
                "warning",
                "image_details.format is not one AutoML lists (jpg, jpeg, png, jpe, jfif, bmp, tif, tiff).",
                "Convert the image to JPEG or PNG, or check the format written.",
                f"{at}: {_text(fmt)}",
            )
        for side in ("width", "height"):
            value = details.get(side)
            if side not in details:
                continue
            fine = (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1 << 31) or (
                isinstance(value, str) and PIXELS.fullmatch(value)
            )
            if not fine:
                report.add(
                    f"image_{side}",
                    "error",
                    f"image_details.{side} is not a positive whole number of pixels.",
                    f'Write the image {side} in pixels: 400, or "400px".',
                    f"{at}: {_text(value)}",
                )

    def label(self, at: str, label: object, present: bool) -> None:
        report = self.report
        if not present:
            report.add("label_missing", "error", "A line has no label.", "Give every line its label.", at)
            return
        shape = _shape(label)
        if self.task is None and shape:
            self.task = shape
        if isinstance(label, list) and not label:
            report.add(
                "label_empty",
                "warning",
                "A line has an empty label list: the image teaches nothing.",
                "Label the image, or leave its line out.",
                at,
            )
            return
        if shape != self.task:
            report.add(
                "label_shape",
                "error",
                f"A label's shape does not fit the task ({TASK_LABELS.get(self.task or '', 'unknown')}).",
                SHAPE_FIX.get(self.task or "", "Use one label shape for the whole file."),
                f"{at}: label is {SHAPE_WORDS[shape]}",
            )
            return
        if shape == TASKS["multiclass"]:
            self.name(at, label)
            self.per_label[label] += 1
            report.annotations += 1
        elif shape == TASKS["multilabel"]:
            for name in label:
                self.name(at, name)
            if len(set(label)) < len(label):
                report.add(
                    "label_repeated",
                    "warning",
                    "A class is listed twice for one image.",
                    "List each class once per image.",
                    at,
                )
            self.per_label.update(set(label))
            report.annotations += len(label)
        else:
            for index, box in enumerate(label):
                self.box(f"{at}, box {index + 1}", box)
            self.per_label.update({b.get("label") for b in label if isinstance(b.get("label"), str)})
            report.annotations += len(label)

    def name(self, at: str, name: object) -> None:
        if not isinstance(name, str) or not name.strip():
            self.report.add(
                "label_name",
                "error",
                "A class name is empty.",
                "Give every label a class name.",
                f"{at}: {_text(name)}",
            )

    def box(self, at: str, box: dict) -> None:
        report = self.report
        name = box.get("label")
        if not isinstance(name, str) or not name.strip():
            report.add(
                "box_label",
                "error",
                "A box has no class name in its label.",
                'Give every box its class: "label": "cat".',
                f"{at}: {_text(name) if 'label' in box else 'no label'}",
            )
        values = [box.get(key) for key in CORNERS]
        missing = [key for key, value in zip(CORNERS, values, strict=True) if not _number(value)]
        if missing:
            report.add(
                "box_corner_not_number",
                "error",
                "A box corner is missing or not a number.",
                "Write topX, topY, bottomX and bottomY as numbers (not strings) between 0 and 1.",
                f"{at}: {', '.join(missing)}",
            )
        else:
            top_x, top_y, bottom_x, bottom_y = (float(v) if abs(v) < 1e300 else math.inf for v in values)
            if not all(math.isfinite(v) and 0 <= v <= 1 for v in (top_x, top_y, bottom_x, bottom_y)):
                pixels = all(math.isfinite(v) and v >= 0 for v in (top_x, top_y, bottom_x, bottom_y))
                report.add(
                    "box_pixels" if pixels and max(bottom_x, bottom_y) > 1 else "box_outside",
                    "error",
                    "A box's corners are not normalised to [0, 1]."
                    if pixels
                    else "A box corner is outside [0, 1].",
                    "Divide the x corners by the image width and the y corners by its height; clamp "
                    "what overshoots into [0, 1].",
                    f"{at}: " + ", ".join(f"{k} {_text(v)}" for k, v in zip(CORNERS, values, strict=True)),
                )
            elif bottom_x <= top_x or bottom_y <= top_y:
                empty = bottom_x == top_x or bottom_y == top_y
                report.add(
                    "box_empty" if empty else "box_corners_order",
                    "error",
                    "A box has no area (a corner equals the opposite one)."
                    if empty
                    else "A box's bottom-right corner is above or left of its top-left one.",
                    "Delete the empty box."
                    if empty
                    else "topX/topY is the top-left corner, bottomX/bottomY the bottom-right: swap them "
                    "(bottomX = left + width, bottomY = top + height).",
                    f"{at}: " + ", ".join(f"{k} {_text(v)}" for k, v in zip(CORNERS, values, strict=True)),
                )
        crowd = box.get("isCrowd", 0)
        if crowd not in (0, 1) or (isinstance(crowd, float)):
            report.add(
                "box_is_crowd",
                "error",
                "isCrowd is neither 0 nor 1.",
                "Write isCrowd as 0 (1 only leaves the box out of the metric), or leave it out.",
                f"{at}: {_text(crowd)}",
            )


def _most_common_shape(chunks: list[bytes]) -> str | None:
    shapes: Counter = Counter()
    for chunk in chunks:
        try:
            entry = json.loads(chunk)
        except (ValueError, RecursionError):
            continue
        shape = _shape(entry.get("label")) if isinstance(entry, dict) else ""
        if shape:
            shapes[shape] += 1
    return shapes.most_common(1)[0][0] if shapes else None


def validate_automl(
    data: bytes | str | Iterable[bytes],
    *,
    task: str | None = None,
    purpose: str = "training",
    exists: Callable[[Iterable[str]], set[str]] | None = None,
    datastore: tuple[str, str, str, str] | None = None,
    blob_base: str = "",
) -> Report:
    """Validate one AutoML JSONL file. ``task`` (one of ``TASKS``) is the label shape most of the
    first 200 lines have when not given; ``exists(paths)`` answers which of the paths exist in the container (None skips
    the check); ``datastore`` (subscription, group, workspace, datastore) is the one expected;
    blob URLs under ``blob_base`` (the container's URL) are refused but still looked for."""
    report = Report(task or "", purpose)
    try:
        _validate(report, data, task, purpose, exists, datastore, blob_base)
    except Exception as exc:  # a bug of ours must not hide the rest: say so in the report
        report.add(
            "validator_failed",
            "error",
            "The validator stopped early on this file.",
            "Report it to the Visionport team with the file.",
            f"{type(exc).__name__}",
        )
    return report


def _validate(report, data, task, purpose, exists, datastore, blob_base) -> None:
    lines = _Lines(report, task if task in TASKS.values() else None, blob_base)
    if isinstance(data, str | bytes | bytearray | memoryview):
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
        chunks: Iterable[bytes] = raw.split(b"\n")
        if raw.endswith(b"\n"):
            chunks = chunks[:-1]  # the newline that ends the last line
    else:
        chunks = (chunk.removesuffix(b"\n") for chunk in data)  # a file opened "rb": flat memory
    chunks = iter(chunks)
    if lines.task is None:
        # The task is the shape most of the first lines have, so one bad first line does not
        # turn every good line after it into a "wrong shape".
        head = list(itertools.islice(chunks, INFER_FROM))
        lines.task = _most_common_shape(head)
        chunks = itertools.chain(head, chunks)
    number = 0
    for number, chunk in enumerate(chunks, start=1):
        lines.line(number, chunk.removesuffix(b"\r"))
    if number == 0 or (number == 1 and report.groups.get("line_blank")):
        report.groups.pop("line_blank", None)
        report.add(
            "file_empty",
            "error",
            "The file has no lines.",
            "Export again: the file should hold one line per image.",
        )
    report.kind = lines.task or task or ""
    report.per_category = dict(sorted(lines.per_label.items()))
    report.categories = len(lines.per_label)
    if purpose == "training" and 0 < report.images < MIN_IMAGES:
        report.add(
            "too_few_images",
            "error",
            f"AutoML needs at least {MIN_IMAGES} images to train; this file has {report.images}.",
            "Add images to the project (or lower the validation share) and export again.",
        )
    if purpose == "training":
        for name, count in report.per_category.items():
            if count < MIN_PER_LABEL:
                report.add(
                    "few_per_label",
                    "warning",
                    f"Fewer than {MIN_PER_LABEL} images for a label (Azure ML recommends 10 to 15 at least).",
                    "Add images of these labels, or expect them to be learnt poorly.",
                    f"{_text(name)}: {count}",
                )
    if len(lines.datastores) > 1:
        report.add(
            "image_url_datastores",
            "warning",
            "The lines name more than one datastore.",
            "One MLTable reads best from one datastore: check that each is the one on your container.",
            "; ".join(f"{ds} ({n} lines)" for (_, _, _, ds), n in lines.datastores.most_common(5)),
        )
    if datastore is not None:
        expected = tuple(p.lower() for p in datastore)
        for key, count in lines.datastores.items():
            if tuple(p.lower() for p in key) != expected:
                report.add(
                    "image_url_other_datastore",
                    "error",
                    "Lines name a datastore other than this workspace's.",
                    "Use the datastore registered on this workspace's container.",
                    f"{key[3]} ({count} line{'s' if count != 1 else ''})",
                )
    if exists is not None and lines.paths:
        present = exists(list(lines.paths))
        for path, number in lines.paths.items():
            if path not in present:
                report.add(
                    "image_missing",
                    "error",
                    "An image named in the file is not in the container.",
                    "Export again (the export copies every image), or fix the path after /paths/.",
                    f"line {number}: {_text(path)}",
                )


# --- MLTable ---------------------------------------------------------------------------------
# The MLTable is YAML. Without a YAML library here, this reads the subset an MLTable needs (block
# mappings and lists of scalars, and {a: b} flow mappings) and says so of anything else.


class _Unreadable(Exception):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line, self.why = line, why


def _scalar(text: str) -> object:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(part) for part in text[1:-1].split(",") if part.strip()]
    if text.startswith("{") and text.endswith("}"):
        out = {}
        for part in filter(None, (p.strip() for p in text[1:-1].split(","))):
            key, sep, value = part.partition(":")
            if not sep:
                raise ValueError(part)
            out[key.strip()] = _scalar(value)
        return out
    return {"true": True, "false": False, "null": None, "~": None}.get(text.lower(), text)


def _strip_comment(line: str) -> str:
    quote_char = ""
    for index, char in enumerate(line):
        if quote_char:
            quote_char = "" if char == quote_char else quote_char
        elif char in "'\"":
            quote_char = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index]
    return line


def yaml_subset(text: str) -> object:
    """Block YAML of mappings, lists and scalars (what MLTable files hold), as Python values."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "\t" in line[: len(line) - len(line.lstrip())]:
            raise _Unreadable(number, "a tab in the indentation (YAML indents with spaces)")
        content = _strip_comment(line).rstrip()
        if content.strip() and content.strip() != "---":
            rows.append((number, len(content) - len(content.lstrip(" ")), content.strip()))
    if not rows:
        return None
    value, index = _block(rows, 0, rows[0][1])
    if index < len(rows):
        raise _Unreadable(rows[index][0], "indented where nothing opened a block")
    return value


def _block(rows: list, index: int, indent: int) -> tuple[object, int]:
    number, _, first = rows[index]
    if first == "-" or first.startswith("- "):
        items = []
        while (
            index < len(rows)
            and rows[index][1] == indent
            and (rows[index][2] == "-" or rows[index][2].startswith("- "))
        ):
            number, _, content = rows[index]
            rest = content[1:].strip()
            if not rest:
                if index + 1 < len(rows) and rows[index + 1][1] > indent:
                    value, index = _block(rows, index + 1, rows[index + 1][1])
                else:
                    value, index = None, index + 1
                items.append(value)
                continue
            if not rest.startswith(("- ", "{")) and ": " not in rest and not rest.endswith(":"):
                items.append(_scalar(rest))  # "- value"
                index += 1
                continue
            # "- key: value" opens a mapping whose other keys sit under "key"
            inner = indent + 2 + (len(content[1:]) - len(content[1:].lstrip(" ")) - 1)
            rows[index] = (number, inner, rest)
            value, index = _block(rows, index, inner)
            items.append(value)
        return items, index
    mapping: dict = {}
    while index < len(rows) and rows[index][1] == indent:
        number, _, content = rows[index]
        if content.startswith("- "):
            break
        key, sep, rest = content.partition(":")
        if not sep or (rest and not rest.startswith(" ")):
            raise _Unreadable(number, f"expected 'key: value', found {content[:60]!r}")
        key = str(_scalar(key))
        index += 1
        if rest.strip():
            try:
                mapping[key] = _scalar(rest)
            except ValueError as exc:
                raise _Unreadable(
                    number, f"a flow mapping this reader does not take: {rest.strip()[:60]!r}"
                ) from exc
        elif index < len(rows) and rows[index][1] > indent:
            mapping[key], index = _block(rows, index, rows[index][1])
        elif index < len(rows) and rows[index][1] == indent and rows[index][2].startswith("- "):
            mapping[key], index = _block(rows, index, indent)  # a list at the key's own indent
        else:
            mapping[key] = None
    if index < len(rows) and rows[index][1] > indent:
        raise _Unreadable(rows[index][0], "indented more than the line above")
    return mapping, index


def validate_mltable(report: Report, text: object, jsonl_name: str, where: str = "MLTable") -> None:
    """Add the MLTable's problems to ``report``: it must name ``jsonl_name`` (a file beside it),
    read it as JSON lines, and turn ``image_url`` into a stream."""
    fix_all = (
        "Write the MLTable as Visionport does: paths: - file: ./<jsonl>, then read_json_lines "
        "(encoding utf8, invalid_lines error, include_path_column false) and convert_column_types "
        "(image_url to stream_info)."
    )

    def bad(code: str, message: str, place: str) -> None:
        report.add(code, "error", message, fix_all, f"{where}: {place}")

    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if not isinstance(text, str):
            raise _Unreadable(1, "not text")
        doc = yaml_subset(text)
    except UnicodeDecodeError:
        bad("mltable_unreadable", "The MLTable file cannot be read.", "not UTF-8 text")
        return
    except _Unreadable as exc:
        bad("mltable_unreadable", "The MLTable file cannot be read.", f"line {exc.line}: {exc.why}")
        return
    except (RecursionError, ValueError, IndexError):
        bad("mltable_unreadable", "The MLTable file cannot be read.", "nested too deeply or malformed")
        return
    if not isinstance(doc, dict):
        bad(
            "mltable_structure",
            "The MLTable is not a mapping of paths and transformations.",
            "the whole file",
        )
        return
    paths = doc.get("paths")
    files = [p.get("file") for p in paths if isinstance(p, dict)] if isinstance(paths, list) else []
    wanted = {jsonl_name, f"./{jsonl_name}"}
    if not files:
        bad("mltable_paths", "The MLTable's paths name no file.", "paths")
    elif not wanted & {f for f in files if isinstance(f, str)}:
        bad(
            "mltable_paths",
            "The MLTable's paths do not name the JSONL file beside it.",
            f"paths: {', '.join(_text(f) for f in files[:3])}, expected ./{jsonl_name}",
        )
    steps = doc.get("transformations")
    steps = steps if isinstance(steps, list) else []
    read = next((s["read_json_lines"] for s in steps if isinstance(s, dict) and "read_json_lines" in s), None)
    if not isinstance(read, dict):
        bad("mltable_read_json_lines", "The MLTable does not read the file as JSON lines.", "transformations")
    else:
        for key, expected in (
            ("encoding", "utf8"),
            ("invalid_lines", "error"),
            ("include_path_column", False),
        ):
            if key in read and read[key] != expected:
                bad(
                    "mltable_read_json_lines",
                    "read_json_lines is not set as AutoML image data needs.",
                    f"{key}: {_text(read[key])}, expected {_text(expected)}",
                )
    convert = next(
        (s["convert_column_types"] for s in steps if isinstance(s, dict) and "convert_column_types" in s),
        None,
    )
    streams = [
        c
        for c in (convert if isinstance(convert, list) else [])
        if isinstance(c, dict)
        and c.get("column_type") == "stream_info"
        and _names(c.get("columns"), "image_url")
    ]
    if not streams:
        bad(
            "mltable_stream_info",
            "The MLTable does not turn image_url into a stream (convert_column_types … stream_info).",
            "transformations",
        )


def _names(columns: object, name: str) -> bool:
    return columns == name or (isinstance(columns, list) and name in columns)
