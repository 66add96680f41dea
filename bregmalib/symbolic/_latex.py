"""LaTeX export of results: one amsthm theorem with hypotheses, statement, proof steps, the two
check routes and the status. Deterministic: no timestamps, fixed float formatting."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import sympy as sp

from bregmalib.symbolic._numeric import NumericOutcome
from bregmalib.symbolic._result import Result

_UNICODE = {
    "σ": r"\sigma",
    "φ": r"\varphi",
    "Δ": r"\Delta",
    "δ": r"\delta",
    "β": r"\beta",
    "π": r"\pi",
    "λ": r"\lambda",
    "α": r"\alpha",
    "ε": r"\varepsilon",
    "μ": r"\mu",
    "θ": r"\theta",
    "ℓ": r"\ell",
    "≤": r"\le",
    "≥": r"\ge",
    "≠": r"\neq",
    "∞": r"\infty",
    "∈": r"\in",
    "ℝ": r"\mathbb{R}",
    "×": r"\times",
    "·": r"\cdot",
    "‖": r"\|",
    "∘": r"\circ",
    "→": r"\to",
    "∇": r"\nabla",
    "′": "'",
    "⁻¹": "^{-1}",
    "²": "^{2}",
    "√": r"\surd",
    "″": "''",
    "∗": "*",
    "∂": r"\partial",
    "₂": "_{2}",
    "₁": "_{1}",
    "⁺": "^{+}",
    "↦": r"\mapsto",
    "¹": "^{1}",
    "⁻": "^{-}",
    "∀": r"\forall",
    "∃": r"\exists",
    "⊆": r"\subseteq",
    "…": r"\ldots",
    "≈": r"\approx",
    "ⁿ": "^{n}",
    "ᵢ": "_{i}",
    "ₖ": "_{k}",
    "∑": r"\sum",
    "∏": r"\prod",
    "⟹": r"\Longrightarrow",
    "±": r"\pm",
    "∓": r"\mp",
    "⊂": r"\subset",
    "Π": r"\Pi",
    "Σ": r"\Sigma",
    "Γ": r"\Gamma",
    "Θ": r"\Theta",
    "Λ": r"\Lambda",
    "Φ": r"\Phi",
    "Ψ": r"\Psi",
    "γ": r"\gamma",
    "ζ": r"\zeta",
    "η": r"\eta",
    "κ": r"\kappa",
    "ν": r"\nu",
    "ξ": r"\xi",
    "ρ": r"\rho",
    "τ": r"\tau",
    "χ": r"\chi",
    "ψ": r"\psi",
    "ω": r"\omega",
    "ϵ": r"\epsilon",
    "ᵀ": r"^{\top}",
    "≺": r"\prec",
    "≻": r"\succ",
    "⪯": r"\preceq",
    "⪰": r"\succeq",
    "∪": r"\cup",
    "∩": r"\cap",
    "∖": r"\setminus",
    "⊗": r"\otimes",
    "⊕": r"\oplus",
    "∼": r"\sim",
    "≡": r"\equiv",
    "⇒": r"\Rightarrow",
    "⇔": r"\Leftrightarrow",
    "←": r"\leftarrow",
    "⟨": r"\langle",
    "⟩": r"\rangle",
    "∫": r"\int",
    "≪": r"\ll",
    "≫": r"\gg",
    "⌊": r"\lfloor",
    "⌋": r"\rfloor",
    "⌈": r"\lceil",
    "⌉": r"\rceil",
    **{chr(0x2080 + d): f"_{{{d}}}" for d in range(3, 10)},
    "₀": "_{0}",
    "₋": "_{-}",
    "⋯": r"\cdots",
    "⋮": r"\vdots",
    "⋱": r"\ddots",
    "⋅": r"\cdot",
    "⊤": r"\top",
    "⊥": r"\perp",
    "§": r"\S",
    "⁰": "^{0}",
    "³": "^{3}",
    **{chr(0x2070 + d): f"^{{{d}}}" for d in range(4, 10)},
}
_DASHES = {"−": "-", "–": "--", "—": "---", "’": "'", "“": "``", "”": "''"}
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "^": r"\^{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "~": r"\~{}",
}
_UNICODE_RE = re.compile("|".join(re.escape(k) for k in sorted(_UNICODE, key=len, reverse=True)))


def text(s: str) -> str:
    """Prose for LaTeX: ``$...$`` kept as mathematics, LaTeX specials escaped outside it, Unicode
    mathematics mapped to macros; raises on any other non-ASCII character (the PDF must compile)."""
    for k, v in _DASHES.items():
        s = s.replace(k, v)
    parts = s.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced $ in {s!r}")
    s = "$".join(p if i % 2 else _escape(p) for i, p in enumerate(parts))
    s = _UNICODE_RE.sub(lambda m: "\\ensuremath{" + _UNICODE[m.group(0)] + "}", s)
    bad = sorted({c for c in s if ord(c) > 127})
    if bad:
        raise ValueError(f"no LaTeX mapping for characters {bad} in {s!r}")
    return s


_TEXT_MATH = {"<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}"}


def _escape(s: str) -> str:
    return "".join(_SPECIAL.get(c, c) if c in "_%&#^~{}" else _TEXT_MATH.get(c, c) for c in s)


def verbatim(s: str) -> str:
    """Machine text (SymPy ``sstr`` output, names) in typewriter type, every special escaped."""
    escaped = "".join(_SPECIAL.get(c, c) for c in text_ascii(s))
    return r"\texttt{" + escaped + "}"


def text_ascii(s: str) -> str:
    """``s`` with Unicode mathematics spelled in ASCII (for `verbatim`)."""
    for k, v in _DASHES.items():
        s = s.replace(k, v)
    return "".join(c if ord(c) < 128 else f"<U+{ord(c):04X}>" for c in s)


def number(x: float) -> str:
    """A float in fixed LaTeX form with 4 significant digits (``\\infty`` for infinities)."""
    if math.isnan(x):
        return r"\mathrm{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0:
        return "0"
    mantissa, exponent = f"{x:.3e}".split("e")
    e = int(exponent)
    return mantissa if e == 0 else rf"{mantissa}\times 10^{{{e}}}"


def math_(expr: sp.Basic) -> str:
    """SymPy LaTeX of ``expr`` (deterministic for a pinned SymPy minor version)."""
    return sp.latex(expr)


def _point(point: Mapping[str, float]) -> str:
    items = ", ".join(f"{verbatim(k)} $= {number(v)}$" for k, v in point.items())
    return items or "(none)"


def _numeric(n: NumericOutcome) -> str:
    box = ", ".join(
        f"{verbatim(k)} $\\in [{number(lo)}, {number(hi)}]$" for k, (lo, hi) in n.box.items()
    )
    ascent = (
        f" and {n.starts} starts $\\times$ {n.steps} steps of projected gradient ascent"
        if n.starts
        else ""
    )
    how = f"dense grid of {n.grid_points} points{ascent} on {box}"
    what = text(n.description) + " " if n.description else ""
    if n.kind == "bound":
        verdict = (
            f"no violation above ${number(n.tolerance)}$"
            if n.holds
            else f"\\textbf{{violation}} ${number(n.max_violation)}$ at {_point(n.argmax)}"
        )
    else:
        verdict = (
            f"supremum reached within ${number(n.tolerance)}$"
            if n.holds
            else f"\\textbf{{not reached}}: best ${number(n.max_violation)}$ at {_point(n.argmax)}"
        )
    return f"{what}({n.kind}; {how}): {verdict}."


def label(name: str) -> str:
    """LaTeX label and file stem of a result name: ``sigmoid/lipschitz`` → ``sigmoid-lipschitz``."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def result_to_latex(result: Result) -> str:
    """One result as an amsthm ``theorem`` (or ``conjecture``/``claim`` by status) and its proof."""
    env = {"proved": "theorem", "conjectured": "conjecture", "refuted": "refutedclaim"}[
        result.status
    ]
    lines = [
        f"% {result.name}: generated by `bregmalib derive`; do not edit.",
        f"\\begin{{{env}}}[{{{text(result.title)}}}]\\label{{res:{label(result.name)}}}",
        r"\textbf{Status: " + result.status + ".}",
        r"\emph{Hypotheses.}",
        r"\begin{itemize}",
    ]
    for h in result.hypotheses:
        formula = f" $\\;{math_(h.expr)}$" if h.expr is not None else ""
        lines.append(f"\\item {text(h.text)}{formula}")
    lines += [r"\end{itemize}", r"\emph{Statement.}", r"\[", math_(result.statement), r"\]"]
    lines += [f"\\end{{{env}}}", r"\begin{proof}[Derivation]", r"\begin{enumerate}"]
    for step in result.steps:
        lines.append(
            f"\\item $\\displaystyle {math_(step.relation)}$ \\\\ {text(step.justification)}"
        )
    lines.append(r"\end{enumerate}")
    s = result.symbolic
    detail = f" {verbatim(s.detail)}" if s.detail else ""
    lines.append(f"\\emph{{Symbolic route}} ({text(s.method)}): \\textbf{{{s.verdict}}}.{detail}")
    lines.append(r"\emph{Numeric route.}")
    lines.append(r"\begin{itemize}")
    lines += [f"\\item {_numeric(n)}" for n in result.numeric]
    lines.append(r"\end{itemize}")
    for note in result.notes:
        lines.append(r"\emph{Note.} " + text(note))
    if result.status == "refuted" and result.counterexample is not None:
        lines.append(r"\emph{Counterexample:} " + _point(result.counterexample) + ".")
    lines += [f"\\emph{{Status: {result.status}.}}", r"\end{proof}", ""]
    return "\n".join(lines)
