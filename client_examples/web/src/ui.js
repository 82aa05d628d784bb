// DOM helpers shared by the storefront's pages: elements built node by node (text is always
// a text node, never parsed as HTML), typed problem boxes and product cards.

import { money } from "./api.js";

/** An element with attributes (on* are listeners) and children (strings are text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** A typed message box the shopper sees instead of a blank state. */
export function problem(code, message, ...extra) {
  return h("div", { class: "problem", role: "alert", dataset: { code } }, h("p", {}, message), ...extra);
}

/** A product's card for listings and search results; `name` may replace the plain name. */
export function productCard(product, { name = null, snippet = null } = {}) {
  const poster = product.assets?.[0]?.posterUrl || product.media?.[0]?.url;
  return h(
    "a",
    { class: "card", href: `#/product/${product.slug}`, dataset: { slug: product.slug } },
    poster ? h("img", { src: poster, alt: product.name, loading: "lazy", width: 256, height: 256 }) : null,
    h("span", { class: "name" }, name ?? product.name),
    product.brand ? h("span", { class: "brand" }, product.brand) : null,
    h("span", { class: "price" }, money(product.priceRange.min)),
    snippet ? h("span", { class: "snippet" }, snippet) : null,
  );
}
