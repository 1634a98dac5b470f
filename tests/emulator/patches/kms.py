"""KMS for CloudFormation: ``AWS::KMS::Key`` failed on a KeyPolicy given as an object
and on Key/Value tags, both as CloudFormation takes them."""

from __future__ import annotations

import json


def apply() -> None:
    from moto.kms.models import Key

    create = Key.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = dict(cloudformation_json.get("Properties", {}))
        if isinstance(properties.get("KeyPolicy"), dict):  # CloudFormation takes an object, moto a JSON string
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
        # CloudFormation's Key/Value tags; moto's KMS wants the API's TagKey/TagValue.
        properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
        return create(
            cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kwargs
        )

    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
