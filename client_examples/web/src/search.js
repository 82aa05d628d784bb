// Product search: the header's search box (suggestions as the shopper types, from the
// SearchSuggestions operation) and the #/search?q=... results page (SearchProducts) with
// facet filters, sort, highlights, the corrected query and "load more".
//
// The page's state lives in the URL: q, sort, brand/colour/material/category (repeated),
// min/max (whole currency units), inStock=1, has3D=1. Changing a filter changes the hash.

import { ApiError, execute } from "./api.js";
import { h, problem, productCard } from "./ui.js";

const SUGGEST_DELAY_MS = 180;
const LIST_FACETS = [
  ["brand", "brands", "Brand"],
  ["colour", "colours", "Colour"],
  ["material", "materials", "Material"],
  ["category", "categories", "Category"],
];
const SORTS = [
  ["RELEVANCE", "Relevance"],
  ["PRICE_ASC", "Price: low to high"],
  ["PRICE_DESC", "Price: high to low"],
  ["NEWEST", "Newest"],
];
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

let categoryNames;

/** Category global ID -> name, from the navigation's CategoryTree (fetched once). */
function categories() {
  categoryNames ??= execute("CategoryTree").then((data) => {
    const names = new Map();
    const walk = (nodes) => {
      for (const c of nodes || []) {
        names.set(c.id, c.name);
        walk(c.children);
      }
    };
    walk(data.categories);
    return names;
  });
  return categoryNames;
}

/** The text of an HTML-escaped fragment (named and numeric character references). */
function unescapeText(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref) => {
    if (ref[0] !== "#") return ENTITIES[ref.toLowerCase()] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * A highlight snippet as DOM nodes. The API escapes the product's text and marks matches
 * with <em>…</em>; only those two tags become elements, everything else stays text (a
 * stray tag in the data shows as the characters it is, never as markup).
 */
export function highlighted(snippet) {
  const nodes = [];
  let inside = false;
  for (const part of snippet.split(/(<em>|<\/em>)/)) {
    if (part === "<em>") inside = true;
    else if (part === "</em>") inside = false;
    else if (part) nodes.push(inside ? h("em", {}, unescapeText(part)) : unescapeText(part));
  }
  return nodes;
}

/** The URL of a search page with these parameters. */
function searchHash(params) {
  return `#/search?${params.toString()}`;
}

function go(params) {
  params.delete("after");
  location.hash = searchHash(params);
}

// ---------------------------------------------------------------- the search box

/** Wire the header's search form: debounced suggestions, arrow keys, Enter and Escape. */
export function mountSearchBox() {
  const form = document.getElementById("search");
  const input = document.getElementById("search-input");
  const list = document.getElementById("search-suggestions");
  let timer = null;
  let asked = 0; // answers to older keystrokes are dropped
  let options = [];
  let active = -1;

  const close = () => {
    options = [];
    active = -1;
    list.replaceChildren();
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  const highlight = (index) => {
    active = index;
    options.forEach((o, i) => o.element.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) input.setAttribute("aria-activedescendant", options[index].element.id);
    else input.removeAttribute("aria-activedescendant");
  };
  const choose = async (suggestion) => {
    close();
    input.value = suggestion.text;
    if (suggestion.kind === "PRODUCT" && suggestion.productId) {
      try {
        const { node } = await execute("Node", { id: suggestion.productId });
        if (node?.slug) {
          location.hash = `#/product/${encodeURIComponent(node.slug)}`;
          return;
        }
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
      }
    }
    const params = new URLSearchParams({ q: suggestion.text });
    if (suggestion.kind === "BRAND") params.append("brand", suggestion.text);
    go(params);
  };
  const show = (suggestions) => {
    options = suggestions.map((s, i) => ({
      suggestion: s,
      element: h(
        "li",
        {
          id: `suggestion-${i}`,
          role: "option",
          "aria-selected": "false",
          dataset: { kind: s.kind },
          // mousedown, not click: the input's blur would close the list first
          onmousedown: (e) => {
            e.preventDefault();
            choose(s);
          },
        },
        s.text,
        h("span", { class: "kind" }, s.kind === "BRAND" ? "brand" : "product"),
      ),
    }));
    active = -1;
    list.replaceChildren(...options.map((o) => o.element));
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", String(options.length > 0));
  };
  const suggest = async () => {
    const prefix = input.value.trim();
    const ticket = ++asked;
    if (!prefix) return close();
    try {
      const data = await execute("SearchSuggestions", { prefix, first: 8 });
      if (ticket === asked) show(data.searchSuggestions);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (ticket === asked) close(); // suggestions are a convenience: the search still works
    }
  };

  input.addEventListener("input", () => {
    highlight(-1); // Enter now searches for what is typed, not a stale suggestion
    clearTimeout(timer);
    timer = setTimeout(suggest, SUGGEST_DELAY_MS);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && options.length) {
      e.preventDefault();
      highlight((active + 1) % options.length);
    } else if (e.key === "ArrowUp" && options.length) {
      e.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (e.key === "Escape") {
      close();
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      choose(options[active].suggestion);
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 0));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(timer);
    asked++;
    close();
    const q = input.value.trim();
    if (q) go(new URLSearchParams({ q }));
  });
}

// ---------------------------------------------------------------- the results page

/** The SearchProducts filters of the page's parameters. */
function filtersOf(params) {
  const filters = {};
  for (const [key] of LIST_FACETS) {
    const values = params.getAll(key);
    if (values.length) filters[key] = values;
  }
  const min = params.get("min");
  const max = params.get("max");
  if (min || max) {
    filters.priceRange = {
      min: min ? Math.round(Number(min) * 100) : null,
      max: max ? Math.round(Number(max) * 100) : null,
    };
  }
  if (params.get("inStock") === "1") filters.inStock = true;
  if (params.get("has3D") === "1") filters.has3D = true;
  return filters;
}

function resultCard(edge) {
  const byField = Object.fromEntries(edge.highlights.map((x) => [x.field, x.snippet]));
  return productCard(edge.node, {
    name: byField.name ? highlighted(byField.name) : null,
    snippet: byField.description ? highlighted(byField.description) : null,
  });
}

/** One fieldset of checkboxes: the facet's values with counts, plus any chosen value. */
function checkboxFacet(params, key, legend, values, label) {
  const chosen = new Set(params.getAll(key));
  const shown = [...values];
  for (const value of chosen) if (!shown.some((v) => v.value === value)) shown.push({ value, count: 0 });
  if (!shown.length) return null;
  const toggle = (value, on) => {
    const next = new URLSearchParams(params);
    next.delete(key);
    for (const v of chosen) if (v !== value) next.append(key, v);
    if (on) next.append(key, value);
    go(next);
  };
  return h(
    "fieldset",
    { dataset: { facet: key } },
    h("legend", {}, legend),
    shown.map((v) =>
      h(
        "label",
        { dataset: { value: v.value, count: String(v.count) } },
        h("input", {
          type: "checkbox",
          name: key,
          value: v.value,
          checked: chosen.has(v.value),
          onchange: (e) => toggle(v.value, e.target.checked),
        }),
        ` ${label(v.value)} `,
        h("span", { class: "count" }, `(${v.count})`),
      ),
    ),
  );
}

function priceFilter(params, histogram) {
  const lowest = histogram.length ? Math.floor(histogram[0].min / 100) : null;
  const highest = histogram.length ? Math.ceil(histogram[histogram.length - 1].max / 100) : null;
  const form = h(
    "form",
    {
      class: "price-range",
      onsubmit: (e) => {
        e.preventDefault();
        const values = new FormData(form);
        const next = new URLSearchParams(params);
        for (const end of ["min", "max"]) {
          const value = String(values.get(end) || "").trim();
          if (value) next.set(end, value);
          else next.delete(end);
        }
        go(next);
      },
    },
    h(
      "label",
      {},
      "From ",
      h("input", { name: "min", type: "number", min: 0, step: 1, value: params.get("min"), placeholder: lowest }),
    ),
    h(
      "label",
      {},
      "to ",
      h("input", { name: "max", type: "number", min: 0, step: 1, value: params.get("max"), placeholder: highest }),
    ),
    h("button", { type: "submit" }, "Apply"),
  );
  return h("fieldset", { dataset: { facet: "price" } }, h("legend", {}, "Price (€)"), form);
}

function toggleFilter(params, key, text) {
  return h(
    "label",
    { class: "toggle" },
    h("input", {
      type: "checkbox",
      name: key,
      checked: params.get(key) === "1",
      onchange: (e) => {
        const next = new URLSearchParams(params);
        if (e.target.checked) next.set(key, "1");
        else next.delete(key);
        go(next);
      },
    }),
    ` ${text}`,
  );
}

function sortPicker(params) {
  const current = params.get("sort") || "RELEVANCE";
  return h(
    "label",
    { class: "sort" },
    "Sort ",
    h(
      "select",
      {
        name: "sort",
        onchange: (e) => {
          const next = new URLSearchParams(params);
          if (e.target.value === "RELEVANCE") next.delete("sort");
          else next.set("sort", e.target.value);
          go(next);
        },
      },
      SORTS.map(([value, text]) => h("option", { value, selected: value === current }, text)),
    ),
  );
}

function countText(total) {
  return total === 1 ? "1 result" : `${total} results`;
}

/** The #/search page for the URL's parameters. */
export async function renderSearch(params) {
  const q = (params.get("q") || "").trim();
  const input = document.getElementById("search-input");
  if (input && document.activeElement !== input) input.value = q;
  const heading = h("h1", {}, q ? `Search: ${q}` : "Search");
  if (!q) {
    return h("section", { class: "search" }, heading, problem("EMPTY_QUERY", "Type what you are looking for in the search box."));
  }
  const variables = { query: q, filters: filtersOf(params), sort: params.get("sort") || "RELEVANCE" };
  let data;
  let names;
  try {
    [data, names] = await Promise.all([execute("SearchProducts", variables), categories()]);
  } catch (error) {
    if (error instanceof ApiError && error.details.code === "BAD_USER_INPUT") {
      return h("section", { class: "search", dataset: { query: q } }, heading, problem("BAD_USER_INPUT", error.message));
    }
    throw error;
  }
  const result = data.search;
  const facets = result.facets;
  const grid = h("div", { class: "grid", id: "search-results" }, result.edges.map(resultCard));
  const more = h("button", { type: "button", id: "load-more" }, "Load more");
  const moreStatus = h("div", { id: "load-more-status" });
  let cursor = result.pageInfo.endCursor;
  more.hidden = !result.pageInfo.hasNextPage;
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const next = (await execute("SearchProducts", { ...variables, after: cursor })).search;
      grid.append(...next.edges.map(resultCard));
      cursor = next.pageInfo.endCursor;
      more.hidden = !next.pageInfo.hasNextPage;
      moreStatus.replaceChildren();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      moreStatus.replaceChildren(problem(error.details.code || error.kind, error.message));
    } finally {
      more.disabled = false;
    }
  });
  const filters = h(
    "aside",
    { class: "facets", "aria-label": "Filters" },
    LIST_FACETS.map(([key, field, legend]) =>
      checkboxFacet(params, key, legend, facets[field], key === "category" ? (id) => names.get(id) || id : (v) => v),
    ),
    priceFilter(params, facets.priceHistogram),
    h(
      "fieldset",
      { dataset: { facet: "toggles" } },
      h("legend", {}, "Show only"),
      toggleFilter(params, "inStock", "In stock"),
      toggleFilter(params, "has3D", "With a 3D model"),
    ),
  );
  return h(
    "section",
    { class: "search", dataset: { query: q, total: String(result.totalCount) } },
    heading,
    result.correctedQuery
      ? h("p", { id: "corrected" }, "Showing results for ", h("strong", {}, result.correctedQuery), ` (you typed “${q}”).`)
      : null,
    h(
      "div",
      { class: "search-layout" },
      filters,
      h(
        "div",
        { class: "results" },
        h("div", { class: "results-bar" }, h("p", { class: "count", id: "search-count" }, countText(result.totalCount)), sortPicker(params)),
        result.totalCount === 0 ? problem("NO_RESULTS", `Nothing matches “${q}”. Try fewer words or remove a filter.`) : null,
        grid,
        more,
        moreStatus,
      ),
    ),
  );
}
