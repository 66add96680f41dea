"""bregmalib: Lipschitz regularity and invertibility of Bregman neural networks.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022. A Bregman layer maps
x ↦ σ(σ⁻¹(Vx) + Wx + b), in dual coordinates u ↦ u + Wσ(u) + b. Subpackages, in reading order
(import each one you need; none is imported here):

  bregmalib.legendre   activation pairs σ, σ⁻¹, φ, φ*, L_σ: ``get("tanh")``, ``names()``
  bregmalib.symbolic   the derivation engine: ``slope_ratio(pair)``, ``check(claim)``
  bregmalib.nn         layers and networks: ``Layer(W, b, V, pair, version)``,
                       ``make_mlp(...)``; the maps themselves in ``bregmalib.nn.functional``
  bregmalib.lipschitz  certified bounds: ``lipschitz_report(model, box)``,
                       ``layer_lipschitz_bound(layer, box)``
  bregmalib.invert     ``certify_invertibility(layer)``, ``invert(model, y)``
  bregmalib.data       ``load_digits(activation)``, ``load_two_spirals(activation)``
  bregmalib.train      ``train(model, data, TrainConfig())``, ``save(path, model)``, ``load(path)``
  bregmalib.robust     ``pgd(model, x, y, eps, input_domain(data))``, ``certify(...)``
  bregmalib.flows      ``make_bregman_flow(n_layers, key=...)``, ``fit_flow(flow, data)``
  bregmalib.interop    ``from_bregmanet(mlp)`` (official PyTorch models; extra ``peers``)
  command line         ``bregmalib train|lipschitz|invert|derive``; ``python -m bregmalib.book``

README.md (runnable examples, the two commands ``make derive`` and ``make test``) and
ARCHITECTURE.md (the module graph, where each concept lives) are at the repository's root.
"""

__version__ = "0.1.0"
