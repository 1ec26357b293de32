// The kitchen clock as seen from the browser. The server may run its kitchens faster than real
// time (--time-scale), and each kitchen view says what time it is there. From two views far
// enough apart we learn the rate, then extrapolate between views (ages tick, leases are kept).

export class KitchenClock {
  #first = null;
  #last = null;
  scale = null; // kitchen ms per real ms, once known

  /** A view arrived saying it is `atIso` in the kitchen. */
  observe(atIso) {
    const k = Date.parse(atIso);
    const r = performance.now();
    // The stream repeats its last view with each keep-alive: the same `at`, later. Not a new sample.
    if (Number.isNaN(k) || k === this.#last?.k) return;
    if (this.#last && k < this.#last.k) {
      // The kitchen clock went back: the server restarted. Learn again.
      this.#first = null;
      this.scale = null;
    }
    this.#first ??= { k, r };
    this.#last = { k, r };
    const dr = r - this.#first.r;
    if (dr >= 1000) this.scale = Math.min(1e5, Math.max(1e-3, (k - this.#first.k) / dr));
  }

  /** Kitchen time now, in ms since the epoch. */
  now() {
    if (!this.#last) return Date.now();
    return this.#last.k + (performance.now() - this.#last.r) * (this.scale ?? 1);
  }

  /** Kitchen seconds since the last view. */
  sinceLastView() {
    return this.#last ? (this.now() - this.#last.k) / 1000 : 0;
  }

  /** Real milliseconds for a span of kitchen milliseconds (null while the rate is unknown). */
  toReal(kitchenMs) {
    return this.scale ? kitchenMs / this.scale : null;
  }
}
