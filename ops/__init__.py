"""Operate a deployed mwaa-stack: the programs behind `make deploy`, `diff`, `preflight`,
`sync`, `outputs`, `status`, `logs`, `drift`, `ui`, `airflow`, `trigger` and `destroy`.

Layered like the AWS CLI's `cloudformation deploy` and stacker: ``__main__`` reads
the command line (and the ``MWAA_STACK_*`` variables the Makefile passes), then calls
one action with explicit arguments; actions (``stack``, ``sync``, ``airflow``) talk
to AWS only through ``aws``; ``overrides`` and the sync plan are pure.

Every AWS location comes from the stack (its outputs, its template, the environment
it created), never from a name typed by hand.
"""
