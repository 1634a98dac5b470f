#!/usr/bin/env python3
"""Build the MWAA CloudFormation template(s) into out/.

    python build.py                       # every template: out/mwaa.yaml (defaults) and
                                          # out/mwaa-<name>.yaml for each environments/<name>.toml
    python build.py --check               # exit 1 with a diff when out/ is stale
    python build.py --settings my.toml    # one template, out/mwaa.yaml, from a TOML table of settings
    python build.py --set max_workers=5 --set app_env=prd --out /tmp/x

Invalid settings end in one line on stderr and exit code 2; nothing is written
then.  Files are written through a temporary file and renamed, so out/ never
holds a half-written template.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # A build is short: it allocates many small objects, frees few and makes no cycles worth
    # collecting; the collector's passes over them (imports included) are a twentieth of its
    # time (make bench).  Off for the command only, never for a process that imports this.
    gc.disable()

import argparse
import json
import os
import sys
import tomllib
from pathlib import Path

from templates.airflow_options import unchecked_version
from templates.pipeline import Pipeline, PipelineEnvironment, environment_names
from templates.settings import Settings, SettingsError, from_mapping
from templates.stack import HEADER, build_ci_roles_template, build_template, text_of
from templates.target import Target, split_target

ROOT = Path(__file__).resolve().parent
TEMPLATE_NAME = "mwaa.yaml"
ENVIRONMENTS = ROOT / "environments"
# The CI roles (templates/pipeline.py): built when the file is there.
PIPELINE = ROOT / "pipeline.toml"
CI_ROLES_NAME = "mwaa-ci-roles.yaml"
# `aws cloudformation deploy` uploads larger templates to S3 and then needs --s3-bucket.
MAX_TEMPLATE_BYTES = 51_200


class UsageError(Exception):
    """Bad input that is not a setting (file, --set syntax): also exit 2."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the files in --out instead of writing")
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="output folder (default: out/)")
    parser.add_argument("--settings", type=Path, help="TOML file of settings (names as in templates/settings/)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override one setting")
    return parser.parse_args(argv)


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _table(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"settings file {path} is not UTF-8 text") from None
    except OSError as err:
        raise UsageError(f"cannot read settings file {path}: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"settings file {path} is not valid TOML: {err}") from None


def read_environment(path: Path) -> tuple[dict[str, object], Target | None]:
    """A settings file's settings and its checked ``[target]`` (where the environment deploys,
    for ops and the CI roles; not part of the template: templates/target.py)."""
    try:
        return split_target(_table(path))
    except SettingsError as err:
        raise UsageError(f"{_shown(path)}: {err}") from None


def read_toml(path: Path) -> dict[str, object]:
    """A settings file's settings, without its ``[target]``."""
    return read_environment(path)[0]


def read_pipeline(path: Path, settings: dict[str, tuple[Settings, Target | None]]) -> Pipeline:
    """The CI roles' settings; ``settings``: each environment's, checked already."""
    values = _table(path)
    try:
        names = environment_names(values)
        missing = [name for name in names if name not in settings]
        if missing:
            raise SettingsError("environments", missing[0], "names of files in environments/ (without .toml)")
        return Pipeline(
            str(values.get("github_repository", "")),
            tuple(PipelineEnvironment(name, *settings[name]) for name in names),
            str(values.get("oidc_provider_arn", "")),
        )
    except SettingsError as err:
        raise UsageError(f"{_shown(path)}: {err}") from None


def load_settings(settings_file: Path | None, overrides: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    if settings_file is not None:
        values.update(read_toml(settings_file))
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set {item!r}: expected NAME=VALUE")
        values[name.strip()] = value
    return values


def build(values: dict[str, object] | None = None) -> dict[str, str]:
    """File name -> YAML.  Without explicit settings: the default template and one per environment file."""
    # file name -> (where the settings come from, settings, target)
    sources: dict[str, tuple[str, dict[str, object], Target | None]] = {}
    if values is not None:
        sources[TEMPLATE_NAME] = ("", values, None)
    else:
        sources[TEMPLATE_NAME] = ("", {}, None)
        for path in sorted(ENVIRONMENTS.glob("*.toml")):
            if f"mwaa-{path.stem}.yaml" == CI_ROLES_NAME:
                raise UsageError(
                    f"{path.relative_to(ROOT)}: its template would be {CI_ROLES_NAME}, the CI roles'; rename it"
                )
            sources[f"mwaa-{path.stem}.yaml"] = (f"{path.relative_to(ROOT)}: ", *read_environment(path))
    checked: list[tuple[str, Settings | Pipeline]] = []
    environments: dict[str, tuple[Settings, Target | None]] = {}
    for name, (where, settings_values, target) in sources.items():
        try:
            settings = from_mapping(settings_values)
        except SettingsError as err:
            raise UsageError(f"{where}{err}") from None
        checked.append((where, settings))
        if name != TEMPLATE_NAME:
            environments[name.removeprefix("mwaa-").removesuffix(".yaml")] = (settings, target)
        if settings.airflow_configuration_options and unchecked_version(settings.airflow_version):
            print(
                f"build.py: note: {where}airflow_configuration_options checked for shape and MWAA's reserved "
                f"options only: no option list of Airflow {settings.airflow_version} is vendored "
                "(scripts/airflow_options.py makes one)",
                file=sys.stderr,
            )
    names = list(sources)
    if values is None and PIPELINE.is_file():
        names.append(CI_ROLES_NAME)
        checked.append((f"{_shown(PIPELINE)}: ", read_pipeline(PIPELINE, environments)))
    files = dict(zip(names, render_all(checked), strict=True))
    for name, text in files.items():
        size = len(text.encode())
        if size > MAX_TEMPLATE_BYTES:
            raise UsageError(f"{name} is {size} bytes; templates over {MAX_TEMPLATE_BYTES} need an S3 bucket to deploy")
    return files


def rendered(where: str, settings: Settings | Pipeline) -> str:
    """One template's YAML; a setting only the build itself can refuse names its file."""
    try:
        if isinstance(settings, Pipeline):
            return text_of(build_ci_roles_template(settings))
        return text_of(build_template(settings))
    except SettingsError as err:
        raise UsageError(f"{where}{err}") from None


def render_all(checked: list[tuple[str, Settings | Pipeline]]) -> list[str]:
    """Build and render on every core: settings are checked here first, then this process
    and forked children take templates one at a time from a shared queue (a pipe holding one
    byte per template: a read of one byte takes one, no two readers get the same), so the
    cores finish together whatever each template costs; children write their YAML back
    through a pipe.  A plain fork, not a process pool: the pool's imports and start-up cost
    as much as one template.  What a failed child took is made here, so an error surfaces in
    this process, as without workers."""
    workers = min(len(checked), os.cpu_count() or 1)
    if workers < 2 or not hasattr(os, "fork") or len(checked) > 255:
        return [rendered(*item) for item in checked]
    queue_out, queue_in = os.pipe()
    os.write(queue_in, bytes(range(len(checked))))
    os.close(queue_in)

    def take() -> dict[int, str]:
        made = {}
        while taken := os.read(queue_out, 1):
            made[taken[0]] = rendered(*checked[taken[0]])
        return made

    children = []
    for _ in range(workers - 1):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: write YAML, send it, leave without the parent's cleanup
            code = 0
            try:
                os.close(read_end)
                with os.fdopen(write_end, "w", encoding="utf-8") as pipe:
                    json.dump(take(), pipe)
            except BaseException:
                code = 1
            os._exit(code)
        os.close(write_end)
        children.append((pid, read_end))
    texts = take()
    os.close(queue_out)
    for pid, read_end in children:
        with os.fdopen(read_end, encoding="utf-8") as pipe:
            received = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status == 0:
            texts.update({int(index): text for index, text in json.loads(received).items()})
    # Whatever a failed child took (nothing, unless it failed): made here, raising here.
    return [texts[i] if i in texts else rendered(*checked[i]) for i in range(len(checked))]


def orphans(out: Path, files: dict[str, str]) -> list[str]:
    """Templates in ``out`` that no settings file produces (any more)."""
    return sorted(set(p.name for p in out.glob("*.yaml")) - set(files))


def differing(out: Path, files: dict[str, str]) -> list[str]:
    """Files whose text in ``out`` is not what the build makes."""
    return [name for name, text in sorted(files.items()) if _current(out / name) != text]


def _current(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def check(out: Path, files: dict[str, str], complete: bool) -> int:
    stale = 0
    if complete:  # a template whose settings file is gone is stale too
        for orphan in orphans(out, files):
            stale += 1
            print(f"{out / orphan}: no longer generated (its settings file is gone); delete it")
    for name in differing(out, files):
        path, text = out / name, files[name]
        stale += 1
        import difflib  # only when something is stale

        sys.stdout.writelines(
            difflib.unified_diff(
                _current(path).splitlines(True), text.splitlines(True), f"{path} (committed)", f"{path} (generated)"
            )
        )
    if stale:
        print(f"build.py: {stale} file(s) in {out} are stale; run `make template` and commit them", file=sys.stderr)
        return 1
    print(f"build.py: {out} is up to date")
    return 0


def write(out: Path, files: dict[str, str], prune: bool = False) -> None:
    """All files or none: every file is staged beside its destination first, then each
    staged file replaces its destination; if one replacement fails, the ones already
    made are undone, so out/ is never half-updated.  With ``prune``, a template this
    build generated before and no settings file produces now is removed (a stale one would
    be reviewed and deployed as if it were current); files of other origins stay."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is not a folder")
    for name in files:
        if (out / name).exists() and not (out / name).is_file():
            raise UsageError(f"{out / name} exists and is not a file; nothing written")
    out.mkdir(parents=True, exist_ok=True)
    staged: dict[str, str] = {}
    previous = {name: (out / name).read_bytes() for name in files if (out / name).is_file()}
    try:
        for name, text in sorted(files.items()):
            # O_EXCL: a file of that name already there (a link planted in out/) is refused,
            # never followed; the name is this process's own.
            path = str(out / f".{name}.{os.getpid()}.tmp")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            staged[name] = path
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(path, 0o644)  # whatever the umask
        done: list[str] = []
        try:
            for name in sorted(files):
                os.replace(staged.pop(name), out / name)
                done.append(name)
        except BaseException:
            for name in done:  # put back what was there, or remove what was not
                if name in previous:
                    (out / name).write_bytes(previous[name])
                else:
                    (out / name).unlink()
            raise
    finally:
        for leftover in staged.values():
            Path(leftover).unlink(missing_ok=True)
    for name in sorted(files):
        print(f"wrote {out / name}")
    for orphan in orphans(out, files) if prune else ():
        path = out / orphan
        with path.open(encoding="utf-8", errors="replace") as handle:
            generated = handle.readline() == HEADER
        if generated:
            path.unlink()
            print(f"removed {path} (no settings file produces it any more)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    explicit = args.settings is not None or bool(args.set)
    try:
        files = build(load_settings(args.settings, args.set) if explicit else None)
        if args.check:
            return check(args.out, files, complete=not explicit)
        write(args.out, files, prune=not explicit)
    except (SettingsError, UsageError) as err:
        print(f"build.py: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        print(f"build.py: error: {where}{err.strerror or err}; nothing written", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("build.py: error: interrupted; nothing written", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader left (`| head`): what was done is done
        pass
    # Everything is written and closed: skip tearing down every module and object (a tenth
    # of the run, make bench).
    os._exit(status)
