"""The kernel's launcher (tools/evcxr_kernel.py)."""
import io

import evcxr_kernel


def test_the_launcher_drops_evcxrs_no_config_line_and_passes_the_rest_on():
    kernel = io.BytesIO(b"before\n" + evcxr_kernel.NO_CONFIG + b"after\nNo configuration file found, but not evcxr's\n")
    out = io.BytesIO()
    evcxr_kernel.pass_on(kernel, out)
    assert out.getvalue() == b"before\nafter\nNo configuration file found, but not evcxr's\n"
