// Small DOM helpers: build elements without innerHTML (no injection), keep keyed lists stable.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') el.textContent = value;
    else if (name === 'class') el.setAttribute('class', value);
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** An HTML element: h('button', { class: 'primary', onclick: f }, 'Place order'). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Replace an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Set text only when it changed (keeps screen readers and selection calm). */
export function setText(el, text) {
  const value = String(text ?? '');
  if (el.textContent !== value) el.textContent = value;
}

export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else {
    const v = value === true ? '' : String(value);
    if (el.getAttribute(name) !== v) el.setAttribute(name, v);
  }
}

/**
 * Keyed list rendering: one element per item, reused across renders (so a button being
 * clicked or focused survives an update), created and updated by the given functions.
 */
export function keyed(parent, items, keyOf, create, update) {
  const old = parent.__keyed ?? new Map();
  const next = new Map();
  let index = 0;
  for (const item of items) {
    const key = String(keyOf(item));
    let el = old.get(key);
    if (!el) el = create(item);
    update(el, item);
    next.set(key, el);
    if (parent.children[index] !== el) parent.insertBefore(el, parent.children[index] ?? null);
    index++;
  }
  for (const [key, el] of old) if (!next.has(key)) el.remove();
  parent.__keyed = next;
  // Anything else left behind (a placeholder) goes too.
  while (parent.children.length > index) parent.lastElementChild.remove();
}

/** Tell screen-reader users something happened (the region must have aria-live). */
export function announce(region, message) {
  if (!region) return;
  region.textContent = '';
  // A fresh text node after a tick is announced even when the text repeats.
  setTimeout(() => { region.textContent = message; }, 30);
}

export function params() {
  return new URLSearchParams(location.search);
}
