"""mwaa-stack: the MWAA quick-start stack as troposphere + awacs code."""
