"""The changes a reviewer of an MWAA stack must not miss, each in one line that says the
consequence in MWAA's words; and the notes (what reaches new stacks only)."""

from __future__ import annotations

from .engine import Review, at

ENVIRONMENT = "AWS::MWAA::Environment"
STATEFUL = {
    "AWS::S3::Bucket": "the source bucket, with the DAGs, requirements and plugins MWAA reads",
    "AWS::KMS::Key": "the key the environment's data is encrypted with",
    "AWS::Logs::LogGroup": "a log group, with its logs,",
}


def _narrowed(before: dict, after: dict) -> str:
    if "AllowedValues" in after and set(map(str, after["AllowedValues"])) < set(
        map(str, before.get("AllowedValues", after["AllowedValues"]) or [])
    ):
        gone = sorted(set(map(str, before["AllowedValues"])) - set(map(str, after["AllowedValues"])))
        return "no longer allows " + ", ".join(gone)
    if "AllowedValues" in after and "AllowedValues" not in before:
        return "now allows only " + ", ".join(map(str, after["AllowedValues"]))
    if after.get("AllowedPattern") and after.get("AllowedPattern") != before.get("AllowedPattern"):
        return f"its pattern becomes {after['AllowedPattern']}"
    for key, tighter in (("MinValue", lambda a, b: a > b), ("MinLength", lambda a, b: a > b)):
        if key in after and (key not in before or tighter(float(after[key]), float(before[key]))):
            return f"its {key} rises to {after[key]}"
    for key in ("MaxValue", "MaxLength"):
        if key in after and (key not in before or float(after[key]) < float(before[key])):
            return f"its {key} falls to {after[key]}"
    return ""


def dangers_of(result: Review, old: dict, new: dict) -> tuple[list[dict[str, str]], list[str]]:
    dangers: list[dict[str, str]] = []
    notes: list[str] = []

    def danger(logical_id: str, why: str) -> None:
        dangers.append({"id": logical_id, "why": why})

    for change in result.resources:
        gone = change.action == "remove" or (change.action == "modify" and change.replacement != "never")
        if not gone:
            continue
        verb = (
            "removed"
            if change.action == "remove"
            else ("replaced" if change.replacement == "always" else "possibly replaced")
        )
        why = f" ({change.because})" if change.because else ""
        if change.type == ENVIRONMENT:
            lost = (
                "the environment and its metadata database are deleted"
                if change.action == "remove"
                else "a new, empty environment: the metadata database, with the run history and the connections, "
                "variables and pools kept there, is gone, and Airflow is down for 20-40 minutes"
            )
            danger(change.id, f"the MWAA environment is {verb}{why}: {lost}")
        elif change.type in STATEFUL:
            kept = (
                "; removed from the stack, kept in the account (Retain)"
                if change.kept
                else "; the old one is deleted with what it holds"
            )
            danger(change.id, f"{STATEFUL[change.type]} is {verb}{why}{kept}")
    for item in result.parameters:
        if item["action"] == "remove":
            danger(item["name"], "parameter removed: a stack that sets it can no longer be updated with these values")
        elif item["action"] == "modify":
            narrowed = _narrowed(item["old"], item["new"])
            if narrowed:
                danger(
                    item["name"], f"parameter {narrowed}: a stack deployed with a value it now refuses cannot update"
                )
            if "Default" in item["fields"]:
                before, after = item["old"].get("Default"), item["new"].get("Default")
                notes.append(
                    f"parameter {item['name']}: Default {before!r} -> {after!r} reaches new stacks only "
                    "(make deploy keeps a deployed stack's previous value)"
                )
    for item in result.outputs:
        if item["exported"] and (item["action"] == "remove" or (item["action"] == "modify" and item["export_changed"])):
            danger(item["name"], "exported output removed or renamed: stacks that import it can no longer update")
    for item in result.iam:
        for why in item.get("dangers", []):
            # A template that is new widens no grant a stack had: only whole-service grants stand out.
            if result.status != "added" or "every action of a service" in why:
                danger(item["resource"], why)
    for item in result.network:
        if item["action"] == "add" and item["direction"] == "ingress" and item["peer"] in ("0.0.0.0/0", "::/0"):
            danger(
                item["resource"],
                f"ingress from {item['peer']} on {item['protocol']} {item['ports']}: open to the internet",
            )
    for logical_id, resource in sorted(new.items()):
        before = old.get(logical_id)
        if resource.get("Type") != "AWS::S3::Bucket" or not before:
            continue
        props, previous = resource.get("Properties") or {}, before.get("Properties") or {}
        if (
            at(previous, ("VersioningConfiguration", "Status"))
            == "Enabled"
            != at(props, ("VersioningConfiguration", "Status"))
        ):
            danger(logical_id, "the bucket's versioning is no longer Enabled: MWAA requires a versioned source bucket")
        blocks = previous.get("PublicAccessBlockConfiguration") or {}
        weakened = sorted(
            k for k, v in blocks.items() if v is True and at(props, ("PublicAccessBlockConfiguration", k)) is not True
        )
        if weakened:
            danger(logical_id, f"public-access blocks weakened ({', '.join(weakened)}): MWAA requires all four on")
    return dangers, notes
