"""The template's Rules: what must hold between parameters, checked by CloudFormation
before it touches a resource, and by ``make deploy`` / ``make diff`` before anything
is sent (``ops/rules.py`` evaluates this same section on PARAMS).

CloudFormation's rule functions compare strings, so the ranges are lists of the
allowed values.  Min <= max cannot be written with them; the build settings check it
for the defaults and MWAA rejects a bad override.
"""

from __future__ import annotations

from troposphere import Template

from .catalogue import AIRFLOW, CLASSES, PUBLIC_AND_PRIVATE_SINCE
from .parameters import Parameters


def _ref(parameter: object) -> dict:
    return {"Ref": parameter.title}


def _one_of(parameter: object, values: list[str]) -> dict:
    return {"Fn::Contains": [values, _ref(parameter)]}


def _is(parameter: object, value: str) -> dict:
    return {"Fn::Equals": [_ref(parameter), value]}


def _range(low: int, high: int) -> list[str]:
    return [str(n) for n in range(low, high + 1)]


def add_rules(template: Template, params: Parameters) -> None:
    # The classes fall in two: mw1.micro runs one of each; every larger class has one set of bounds.
    single = min(CLASSES.values(), key=lambda c: c.schedulers)
    larger = max(CLASSES.values(), key=lambda c: c.schedulers)
    micro = _is(params.environment_class, single.name)
    singles = (params.schedulers, params.min_workers, params.max_workers, params.min_webservers, params.max_webservers)
    template.add_rule(
        "MicroRunsOneOfEach",
        {
            "RuleCondition": micro,
            "Assertions": [
                {
                    "Assert": _is(p, "1"),
                    "AssertDescription": f"{single.name} runs one scheduler, worker and web server: "
                    f"{p.title} must be 1",
                }
                for p in singles
            ],
        },
    )
    template.add_rule(
        "LargerClassesRunSeveral",
        {
            "RuleCondition": {"Fn::Not": [micro]},
            "Assertions": [
                {
                    "Assert": _one_of(p, _range(*limits)),
                    "AssertDescription": f"{p.title} must be between {limits[0]} and {limits[1]} above {single.name}",
                }
                for p, limits in (
                    (params.schedulers, larger.schedulers),
                    (params.min_webservers, larger.webservers),
                    (params.max_webservers, larger.webservers),
                )
            ],
        },
    )
    supporting = [r.version for r in AIRFLOW if r.key[:2] >= PUBLIC_AND_PRIVATE_SINCE]
    template.add_rule(
        "PublicAndPrivateNeedsAirflow32",
        {
            "RuleCondition": _is(params.webserver_access_mode, "PUBLIC_AND_PRIVATE"),
            "Assertions": [
                {
                    "Assert": _one_of(params.airflow_version, supporting),
                    "AssertDescription": "WebserverAccessMode PUBLIC_AND_PRIVATE needs AirflowVersion "
                    + " or ".join(supporting),
                }
            ],
        },
    )
