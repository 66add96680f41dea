"""LaTeX export of results: one amsthm theorem with hypotheses, statement, proof steps, the two
check routes and the status. Deterministic: no timestamps, fixed float formatting."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import sympy as sp
from sympy.core.relational import Relational

from bregmalib.symbolic._errors import ClaimError
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
    """Prose for LaTeX: ``$...$`` kept as mathematics, subscripts such as ``w_k`` set as
    mathematics (`subscripts`), LaTeX specials escaped elsewhere, Unicode mathematics mapped to
    macros; raises on any other non-ASCII character (the PDF must compile)."""
    for k, v in _DASHES.items():
        s = s.replace(k, v)
    parts = s.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced $ in {s!r}")
    parts = "$".join(p if i % 2 else subscripts(p) for i, p in enumerate(parts)).split("$")
    s = "$".join(p if i % 2 else _escape(p) for i, p in enumerate(parts))
    s = _UNICODE_RE.sub(lambda m: "\\ensuremath{" + _UNICODE[m.group(0)] + "}", s)
    bad = sorted({c for c in s if ord(c) > 127})
    if bad:
        raise ValueError(f"no LaTeX mapping for characters {bad} in {s!r}")
    return s


_GREEK = "α-ωΑ-Ω"
#: a subscript in prose: a one-letter (Greek, ∂ or closing bracket) base not inside a word, then
#: ``_`` and a word or a braced group (``w_k``, ``J_autodiff``, ``(Wx+b)_i``, ``R_σ``)
_SUBSCRIPT = re.compile(
    rf"((?<![A-Za-z0-9{_GREEK}\\])[A-Za-z{_GREEK}∂]|\))_([A-Za-z0-9{_GREEK}]+|\{{[^{{}}$]*\}})"
)
#: an operator with a subscript in prose: ``max_i``, ``sup_B``
_OPERATOR = re.compile(r"(?<![A-Za-z\\])(max|min|sup|inf)_([A-Za-z0-9]+)")


def _subscript(base: str, sub: str) -> str:
    if sub.startswith("{"):
        sub = sub[1:-1]
    elif len(sub) > 1 and sub.isalpha() and sub.isascii():
        sub = rf"\mathrm{{{sub}}}"
    return f"${base}_{{{sub}}}$"


def subscripts(s: str) -> str:
    r"""Prose ``s`` (no ``$`` in it) with each subscript set as mathematics: ``w_k`` →
    ``$w_{k}$``, ``J_autodiff`` → ``$J_{\mathrm{autodiff}}$``, ``max_i`` → ``$\max_{i}$``;
    names such as ``scaled_tanh`` (the base inside a word) are left as text."""
    s = _OPERATOR.sub(lambda m: rf"$\{m.group(1)}_{{{m.group(2)}}}$", s)
    return _SUBSCRIPT.sub(lambda m: _subscript(m.group(1), m.group(2)), s)


_TEXT_MATH = {"<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}"}


def _escape(s: str) -> str:
    return "".join(_SPECIAL.get(c, c) if c in "_%&#^~{}" else _TEXT_MATH.get(c, c) for c in s)


def verbatim(s: str) -> str:
    """Machine text (SymPy ``sstr`` output, names) in typewriter type, every special escaped
    and Unicode mathematics set as mathematics; raises on any other non-ASCII character."""
    for k, v in _DASHES.items():
        s = s.replace(k, v)
    escaped = "".join(_SPECIAL.get(c, c) for c in s)
    escaped = _UNICODE_RE.sub(lambda m: "\\ensuremath{" + _UNICODE[m.group(0)] + "}", escaped)
    bad = sorted({c for c in escaped if ord(c) > 127})
    if bad:
        raise ValueError(f"no LaTeX mapping for characters {bad} in {s!r}")
    return r"\texttt{" + escaped + "}"


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
    """SymPy LaTeX of ``expr`` (deterministic for a pinned SymPy minor version); a conjunction
    of inequalities that link up, a ≤ b ∧ b ≤ c, is set as the chain a ≤ b ≤ c, and a
    conjunction of such a chain with other relations as the chain first, then the others."""
    chain = inequality_chain(expr)
    if chain is None:
        rest = _chain_and_rest(expr)
        if rest is None:
            return _latex(expr)
        chain, others = rest
        return r" \wedge ".join([math_(sp.And(*chain)), *(_latex(o) for o in others)])
    parts = [_latex(chain[0].lhs)]
    for relation in chain:
        parts += [_RELATION_LATEX[type(relation)], _latex(relation.rhs)]
    return " ".join(parts)


#: a symbol name written in LaTeX (a macro, bars, brackets, braces, a superscript or a space):
#: set verbatim, since SymPy would split it at its first ``_`` or ``^`` (|u_k - u^*| came out
#: as |u^{*|}_{k - u})
_LATEX_NAME = re.compile(r"[\\|(){}^ ]")


def _latex(expr: sp.Basic) -> str:
    """``sp.latex(expr)`` with the symbols whose names are LaTeX set verbatim."""
    names = {
        s: s.name
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and _LATEX_NAME.search(s.name)
    }
    return sp.latex(expr, symbol_names=names) if names else sp.latex(expr)


def _chain_and_rest(expr: sp.Basic) -> tuple[list[sp.Basic], list[sp.Basic]] | None:
    """(the ≤/< relations, the others) of a conjunction whose ≤/< relations (two or more) form
    a chain; None otherwise."""
    if not isinstance(expr, sp.And):
        return None
    chain = [r for r in expr.args if type(r) in _RELATION_LATEX]
    others = [r for r in expr.args if type(r) not in _RELATION_LATEX]
    if len(chain) < 2 or not others or inequality_chain(sp.And(*chain)) is None:
        return None
    return chain, others


_RELATION_LATEX: dict[type, str] = {sp.LessThan: r"\leq", sp.StrictLessThan: "<"}


def inequality_chain(expr: sp.Basic) -> list[sp.Basic] | None:
    """The arguments of a conjunction of ≤ and < relations in chain order (each right side the
    next left side), or None when ``expr`` is not such a chain."""
    if not isinstance(expr, sp.And):
        return None
    relations = list(expr.args)
    if not all(type(r) in _RELATION_LATEX for r in relations):
        return None
    right_sides = {r.rhs for r in relations}
    starts = [r for r in relations if r.lhs not in right_sides]
    if len(starts) != 1:
        return None
    by_left = {r.lhs: r for r in relations}
    if len(by_left) != len(relations):
        return None
    chain = [starts[0]]
    while chain[-1].rhs in by_left and len(chain) < len(relations):
        chain.append(by_left[chain[-1].rhs])
    return chain if len(chain) == len(relations) else None


def _point(point: Mapping[str, float]) -> str:
    items = ", ".join(f"{verbatim(k)} $= {number(v)}$" for k, v in point.items())
    return items or "(none)"


def _value(x: float, tolerance: float) -> str:
    """``x`` in LaTeX, or only its size when it is round-off within ``tolerance`` of 0 (so the
    exported text does not depend on the last bits of a float computation)."""
    if 0 < abs(x) < tolerance:
        return rf"|\cdot| < {number(tolerance)}"
    return number(x)


def _box(box: Mapping[str, tuple[float, float]]) -> str:
    """The searched box, consecutive variables with the same range named together:
    ``w1, w2, w3 ∈ [−1, 1]``."""
    groups: list[tuple[list[str], tuple[float, float]]] = []
    for name, bounds in box.items():
        if groups and groups[-1][1] == bounds:
            groups[-1][0].append(name)
        else:
            groups.append(([name], bounds))
    return ", ".join(
        ", ".join(verbatim(k) for k in names) + f" $\\in [{number(lo)}, {number(hi)}]$"
        for names, (lo, hi) in groups
    )


def _how(n: NumericOutcome) -> str:
    """How a search ran: its sample, its ascent, and how many parameters it fixed."""
    fixed = f", {n.fixed} parameters fixed at the instance's values" if n.fixed else ""
    return (
        f"{n.sampling} of {n.sample_points} points, then {n.starts} starts $\\times$ {n.steps} "
        f"steps of projected gradient ascent from the worst of them{fixed}"
    )


def _verdict(n: NumericOutcome) -> str:
    """What a search found: the largest value (with its point unless it is round-off within
    the tolerance of 0: such a point moves with the last bits of the computation), and whether
    the bound holds or the supremum is reached."""
    largest = f"largest value ${_value(n.max_violation, n.tolerance)}$"
    if abs(n.max_violation) >= n.tolerance:
        largest += f" at {_point(n.argmax)}"
    if n.nonfinite is not None:
        return f"\\textbf{{failed}}: a NaN or $\\pm\\infty$ at {_point(n.nonfinite)}; {largest}"
    if n.kind == "bound":
        return (
            f"{largest}, no violation above the tolerance ${number(n.tolerance)}$"
            if n.holds
            else f"\\textbf{{violation}}: {largest}"
        )
    return (
        f"{largest}: the supremum is reached within ${number(n.tolerance)}$"
        if n.holds
        else f"\\textbf{{not reached}}: {largest}"
    )


def _numeric(n: NumericOutcome) -> str:
    """One numeric route: what was searched, on which box, how, what was found."""
    what = text(n.description) + " " if n.description else ""
    return f"{what}({n.kind}; {_how(n)}, on {_box(n.box)}): {_verdict(n)}."


#: a numeric route of at least this many searches run the same way is set as a table
TABLE_FROM = 6


def _same_method(outcomes: tuple[NumericOutcome, ...]) -> bool:
    def method(n: NumericOutcome) -> tuple[object, ...]:
        return (n.kind, n.sampling, n.sample_points, n.starts, n.steps, n.fixed)

    return len({method(n) for n in outcomes}) == 1


def numeric_route(outcomes: tuple[NumericOutcome, ...], where: str) -> list[str]:
    """The numeric route: one item per search, or, for `TABLE_FROM` or more searches run the
    same way, how they ran said once and a table of what each searched, where and found (a
    table without a number: the numbered tables are the exhibits)."""
    if len(outcomes) < TABLE_FROM or not _same_method(outcomes):
        items = distinct([f"\\item {_numeric(n)}" for n in outcomes], f"{where}: checks")
        return [r"\begin{itemize}", *items, r"\end{itemize}"]
    first = outcomes[0]
    rows = distinct(
        [f"{text(n.description)} & {_box(n.box)} & {_verdict(n)} \\\\" for n in outcomes],
        f"{where}: checks",
    )
    return [
        f"{len(outcomes)} searches ({first.kind}), each a {_how(first)}:",
        r"\begin{longtable}{>{\raggedright\arraybackslash}p{3.6cm}"
        r">{\raggedright\arraybackslash}p{5.2cm}>{\raggedright\arraybackslash}p{6.2cm}}",
        r"\toprule search & box & found \\ \midrule \endhead",
        *rows,
        r"\bottomrule",
        r"\end{longtable}",
        r"\addtocounter{table}{-1}",
    ]


def label(name: str) -> str:
    """LaTeX label and file stem of a result name: ``sigmoid/lipschitz`` → ``sigmoid-lipschitz``."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


#: the amsthm environment of each status
ENVIRONMENTS = {
    "proved": "theorem",
    "checked": "checkedclaim",
    "conjectured": "conjecture",
    "refuted": "refutedclaim",
    "trivial": "trivialclaim",
}


#: LaTeX of each relation operator
RELATIONS = {"==": "=", "<=": r"\leq", ">=": r"\geq", "<": "<", ">": ">", "!=": r"\neq"}
#: a relation whose LaTeX is longer than this is displayed on two lines (``multline*``)
LONG_DISPLAY = 160


def display(statement: sp.Basic) -> list[str]:
    """The displayed statement: one line, or for a long relation its left side on the first
    line and the relation with its right side on the second."""
    body = math_(statement)
    if len(body) <= LONG_DISPLAY or not isinstance(statement, Relational):
        return [r"\[", body, r"\]"]
    return [
        r"\begin{multline*}",
        math_(statement.lhs) + r" \\",
        RELATIONS[statement.rel_op] + " " + math_(statement.rhs),
        r"\end{multline*}",
    ]


def distinct(lines: list[str], where: str) -> list[str]:
    """``lines`` unchanged; `ClaimError` when one of them is repeated (a bullet said twice)."""
    repeated = sorted({line for line in lines if lines.count(line) > 1})
    if repeated:
        raise ClaimError(f"{where}: repeated item {repeated[0]!r}")
    return lines


def ascii_latex(latex: str, where: str) -> str:
    """``latex`` (a prose paragraph or an exhibit, written in LaTeX) unchanged; `ClaimError`
    when it holds a non-ASCII character (it would reach the log as ``<U+...>``)."""
    bad = sorted({c for c in latex if ord(c) > 127})
    if bad:
        raise ClaimError(f"{where}: non-ASCII characters {bad} in LaTeX prose or exhibit")
    return latex


def result_to_latex(result: Result) -> str:
    """One result as an amsthm ``theorem`` (or ``conjecture``/``claim`` by status) and its proof."""
    env = ENVIRONMENTS[result.status]
    lines = [f"% {result.name}: generated by `bregmalib derive`; do not edit."]
    if result.prose:
        lines += [ascii_latex(result.prose, result.name), ""]
    if result.exhibit:
        lines += [ascii_latex(result.exhibit, result.name), ""]
    lines += [
        f"\\begin{{{env}}}[{{{text(result.title)}}}]\\label{{res:{label(result.name)}}}",
        r"\textbf{Status: " + result.status + ".}",
        r"\emph{Hypotheses.}",
        r"\begin{itemize}",
    ]
    hypotheses = [
        f"\\item {text(h.text)}" + (f" $\\;{math_(h.expr)}$" if h.expr is not None else "")
        for h in result.hypotheses
    ]
    lines += distinct(hypotheses, f"{result.name}: hypotheses")
    lines += [r"\end{itemize}", r"\emph{Statement.}", *display(result.statement)]
    lines += [f"\\end{{{env}}}", r"\begin{proof}[Derivation]", r"\begin{enumerate}"]
    steps = [
        f"\\item $\\displaystyle {math_(step.relation)}$ \\\\ {text(step.justification)}"
        for step in result.steps
    ]
    lines += distinct(steps, f"{result.name}: steps")
    lines.append(r"\end{enumerate}")
    s = result.symbolic
    detail = f" {text(s.detail)}" if s.detail else ""
    lines.append(f"\\emph{{Symbolic route}} ({text(s.method)}): \\textbf{{{s.verdict}}}.{detail}")
    lines.append(r"\par\emph{Numeric route.}")
    lines += numeric_route(result.numeric, result.name)
    if result.trivial:
        lines.append(r"\emph{Why the bound is $+\infty$.} " + text(result.trivial))
    lines += distinct([r"\emph{Note.} " + text(note) for note in result.notes], result.name)
    if result.status == "refuted" and result.counterexample is not None:
        lines.append(r"\emph{Counterexample:} " + _point(result.counterexample) + ".")
    lines += [f"\\emph{{Status: {result.status}.}}", r"\end{proof}", ""]
    return "\n".join(lines)
