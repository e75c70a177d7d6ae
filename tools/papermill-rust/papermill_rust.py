"""Papermill parameters for Rust notebooks on the evcxr kernel.

    papermill notebooks/01_matrix_inverse.ipynb target/out.ipynb -p seed 7

Papermill writes the values in a cell tagged `injected-parameters`, after the cell tagged
`parameters`. That cell declares each parameter with its type (`let seed: u64 = 314;`), but a
translator only sees the values, and Python's `7` could be a u64, an i32 or an f64. So each
value is parsed into the type of the variable it replaces: the `if false` branch only gives
the new variable the old one's type, and a value that does not fit that type stops the cell
with a message naming the parameter.

Installing this package registers the translator for the kernel `rust` and the language
`rust`, and an engine `evcxr` (papermill's nbclient engine allowing a kernel 600 s to start,
since a first evcxr start compiles the notebook's dependencies).
"""
import json
import re

from papermill.engines import NBClientEngine
from papermill.models import Parameter
from papermill.translators import Translator, papermill_translators

__all__ = ["RustTranslator", "EvcxrEngine"]

# `let name: Type = default; // help`
LET = re.compile(r"^\s*let\s+(?:mut\s+)?(?P<name>\w+)\s*:\s*(?P<type>[^=]+?)\s*=\s*(?P<default>.+?);\s*(?://\s*(?P<help>.*))?$")


class RustTranslator(Translator):
    """Translates papermill parameters into evcxr `let` statements."""

    @classmethod
    def translate_escaped_str(cls, str_val):
        return json.dumps(str(str_val), ensure_ascii=False)

    @classmethod
    def translate_str(cls, val):
        return f"{cls.translate_escaped_str(val)}.into()"  # a String or a &str, as the parameter is

    @classmethod
    def translate_float(cls, val):
        text = repr(float(val))
        return {"nan": "NaN", "inf": "inf", "-inf": "-inf"}.get(text, text)

    @classmethod
    def translate_list(cls, val):
        return "vec![" + ", ".join(cls.translate(v) for v in val) + "]"

    @classmethod
    def comment(cls, cmt_str):
        return f"// {cmt_str}".strip()

    @classmethod
    def statement(cls, name, val):
        """`let name = …;` with the value converted to the type `name` already has."""
        if isinstance(val, (int, float)) and not isinstance(val, bool):
            # A number is parsed, so that `7` fits a u64, an i32 or an f64 alike.
            text = cls.translate_float(val) if isinstance(val, float) else str(val)
            value = f'"{text}".parse().expect("parameter {name}: {text} does not fit its type")'
        else:
            value = cls.translate(val)
        return f"let {name} = if false {{ {name} }} else {{ {value} }};"

    @classmethod
    def codify(cls, parameters, comment="Parameters"):
        lines = [cls.comment(comment), "// (each value takes the type its `let` in the parameters cell gave it)"]
        lines += [cls.statement(name, val) for name, val in parameters.items()]
        return "\n".join(lines) + "\n"

    @classmethod
    def inspect(cls, parameters_cell):
        """The `let name: Type = value;` lines of the parameters cell."""
        found = []
        for line in parameters_cell.source.splitlines():
            m = LET.match(line)
            if m:
                found.append(Parameter(m["name"], m["type"], m["default"], m["help"] or ""))
        return found


class EvcxrEngine(NBClientEngine):
    """Papermill's nbclient engine, waiting up to 600 s for an evcxr kernel to start."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, start_timeout=60, **kwargs):
        return super().execute_managed_notebook(nb_man, kernel_name, start_timeout=max(start_timeout, 600), **kwargs)


papermill_translators.register("rust", RustTranslator)
