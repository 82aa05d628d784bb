// The storefront's pages (hash routes): listing, product, cart and checkout, sign-in, order;
// search (the header's box and #/search) lives in search.js, the merchant's upload page
// (#/merchant) in merchant.js. A page may follow live updates
// (live.js): its `startLive()` runs once it is shown, and everything it subscribed to ends
// when the shopper moves on.

import { ApiError, config as pageConfig, execute, idempotencyKey, money } from "./api.js";
import { mountSearchBox, renderSearch } from "./search.js";
import { live, stopAll } from "./live.js";
import { renderMerchant } from "./merchant.js";
import { auth, cart, credentials, groups, signIn } from "./session.js";
import { h, problem, productCard } from "./ui.js";
import { createViewer, showVariant, variantFor, webglAvailable } from "./viewer.js";

const view = document.getElementById("view");
const notice = document.getElementById("notice");
const LOW_STOCK = 5; // the catalog's low-stock threshold (StockRecord.low_stock_threshold)
const AFTER_SIGN_IN = { cart: "#/cart", merchant: "#/merchant" }; // ?next= -> where to go
const ADMIN_GROUP = "admin"; // the Cognito group of merchant admins

function showNotice(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

/** Turn an ApiError into the page the shopper sees; an expired session is signed out. */
function failure(error) {
  if (!(error instanceof ApiError)) throw error;
  if (error.kind === "SESSION_EXPIRED") {
    auth.clear();
    refreshHeader();
    return problem(
      "SESSION_EXPIRED",
      error.message,
      h("a", { href: "#/signin", class: "button" }, "Sign in"),
    );
  }
  return problem(error.kind, error.message);
}

function refreshHeader() {
  const session = auth.get();
  document.getElementById("who").textContent = session ? session.username : "";
  document.getElementById("signin-link").hidden = Boolean(session);
  document.getElementById("signout").hidden = !session;
  document.getElementById("merchant-link").hidden = !groups().includes(ADMIN_GROUP);
  document.getElementById("cart-count").textContent = String(cart.get()?.itemCount ?? 0);
}

async function renderNav() {
  const nav = document.getElementById("categories");
  try {
    const data = await execute("CategoryTree");
    nav.replaceChildren(
      ...data.categories.map((c) => h("a", { href: `#/category/${c.slug}` }, c.name)),
    );
  } catch (error) {
    nav.replaceChildren(failure(error));
  }
}

async function renderHome() {
  const data = await execute("ProductsByFilter", { first: 24 });
  return h(
    "section",
    { class: "listing" },
    h("h1", {}, "All products"),
    h("p", { class: "count" }, `${data.products.totalCount} products`),
    h("div", { class: "grid" }, data.products.nodes.map(productCard)),
  );
}

async function renderCategory(slug, after = null) {
  const data = await execute("CategoryListing", { slug, after });
  const category = data.category;
  if (!category) return problem("NOT_FOUND", `There is no category “${slug}”.`);
  const page = category.products;
  return h(
    "section",
    { class: "listing", dataset: { category: slug } },
    h("p", { class: "crumbs" }, [...category.ancestors.map((a) => a.name), category.name].join(" / ")),
    h("h1", {}, category.name),
    h("p", { class: "count" }, `${page.totalCount} products`),
    page.totalCount === 0 ? problem("EMPTY", "Nothing in this category yet.") : null,
    h("div", { class: "grid" }, page.edges.map((e) => productCard(e.node))),
    page.pageInfo.hasNextPage
      ? h("a", { class: "button", href: `#/category/${slug}/${page.pageInfo.endCursor}` }, "More")
      : null,
  );
}

async function addToCart(productId, sku, status) {
  status.replaceChildren(h("span", {}, "Adding…"));
  try {
    let current = cart.get();
    if (!current) {
      const created = (await execute("CartCreate", { idempotencyKey: idempotencyKey() }, credentials())).cartCreate;
      if (created.__typename !== "CartCreateSuccess") {
        status.replaceChildren(problem(created.code, created.message));
        return;
      }
      current = { id: created.cart.id, token: created.cartToken, itemCount: created.cart.itemCount };
      cart.set(current);
    }
    const added = (
      await execute(
        "CartLinesAdd",
        { cartId: current.id, lines: [{ productId, sku, quantity: 1 }], idempotencyKey: idempotencyKey() },
        credentials(),
      )
    ).cartLinesAdd;
    if (added.__typename !== "CartLinesAddSuccess") {
      if (added.code === "NOT_FOUND" || added.code === "CART_NOT_ACTIVE") cart.clear();
      const message =
        added.code === "INSUFFICIENT_STOCK"
          ? `Out of stock: only ${added.available ?? 0} left of ${added.sku}.`
          : added.message;
      status.replaceChildren(problem(added.code, message));
      return;
    }
    cart.set({ ...current, itemCount: added.cart.itemCount });
    refreshHeader();
    status.replaceChildren(
      h("span", { class: "ok", dataset: { code: "ADDED" } }, `Added. Cart total ${money(added.cart.totals.total)}. `),
      h("a", { href: "#/cart" }, "Go to cart"),
    );
  } catch (error) {
    status.replaceChildren(failure(error));
  }
}

async function renderProduct(slug) {
  const { product } = await execute("ProductPage", { slug });
  if (!product) return problem("NOT_FOUND", `There is no product “${slug}”.`);
  const asset = product.assets[0];
  const status = h("div", { id: "cart-status" });
  const price = h("p", { class: "price" });
  const stock = h("p", { id: "stock", class: "stock" });
  const addButton = h("button", { id: "add-to-cart", type: "button" }, "Add to cart");
  let chosen = product.variants.find((v) => v.availability !== "OUT_OF_STOCK") || product.variants[0];
  const viewer = asset ? createViewer(asset, `${product.name}, 3D model`) : null;
  if (viewer) viewer.dataset.webgl = webglAvailable() ? "yes" : "no";

  const showStock = () => {
    const left = chosen.quantityAvailable;
    stock.dataset.sku = chosen.sku;
    stock.dataset.availability = chosen.availability;
    stock.dataset.available = left ?? "";
    if (chosen.availability === "OUT_OF_STOCK") stock.textContent = "Out of stock";
    else if (left == null) stock.textContent = "";
    else if (chosen.availability === "LOW_STOCK") stock.textContent = `Only ${left} left`;
    else stock.textContent = `${left} in stock`;
  };
  const choose = (variant) => {
    chosen = variant;
    price.textContent = money(variant.price);
    showStock();
    const out = variant.availability === "OUT_OF_STOCK";
    addButton.disabled = out;
    status.replaceChildren(out ? problem("OUT_OF_STOCK", `${variant.title} is out of stock.`) : "");
    for (const b of picker.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.sku === variant.sku));
    const variantName = variantFor(asset, variant);
    if (viewer && variantName) showVariant(viewer, variantName);
  };
  const picker = h(
    "div",
    { class: "variants", role: "group", "aria-label": "Variants" },
    product.variants.map((v) =>
      h(
        "button",
        { type: "button", dataset: { sku: v.sku, availability: v.availability }, onclick: () => choose(v) },
        v.title,
      ),
    ),
  );
  addButton.addEventListener("click", () => addToCart(product.id, chosen.sku, status));
  const page = h(
    "section",
    { class: "product", dataset: { slug } },
    h("div", { class: "stage" }, viewer || problem("NO_MODEL", "No 3D model for this product yet.")),
    h(
      "div",
      { class: "details" },
      h("p", { class: "crumbs" }, [...(product.category?.ancestors || []).map((a) => a.name), product.category?.name].filter(Boolean).join(" / ")),
      h("h1", {}, product.name),
      h("p", { class: "brand" }, product.brand),
      price,
      stock,
      picker,
      addButton,
      status,
      h("p", { class: "description" }, product.description),
    ),
  );
  choose(chosen);
  // Stock moves while the shopper looks (other shoppers buy): one subscription per variant.
  const restock = (sku, available) => {
    const variant = product.variants.find((v) => v.sku === sku);
    if (!variant || variant.availability === "PREORDER") return;
    variant.quantityAvailable = available;
    if (available <= 0) variant.availability = "OUT_OF_STOCK";
    else variant.availability = available <= LOW_STOCK ? "LOW_STOCK" : "IN_STOCK";
    picker.querySelector(`button[data-sku="${CSS.escape(sku)}"]`).dataset.availability = variant.availability;
    if (variant === chosen) {
      showStock();
      addButton.disabled = variant.availability === "OUT_OF_STOCK";
    }
  };
  // After a reconnection, one read of the product catches up every variant.
  let catchingUp = null;
  const catchUp = () =>
    (catchingUp ??= execute("ProductPage", { slug })
      .then(({ product: fresh }) => {
        for (const v of fresh?.variants || []) if (v.quantityAvailable != null) restock(v.sku, v.quantityAvailable);
      })
      .finally(() => (catchingUp = null)));
  page.startLive = () => {
    for (const variant of product.variants) {
      live("OnInventoryChanged", { sku: variant.sku }, {
        onData: (data) => restock(data.onInventoryChanged.sku, data.onInventoryChanged.available),
        resync: catchUp,
        onProblem: (error) => status.replaceChildren(failure(error)),
      });
    }
  };
  return page;
}

function cartLine(line) {
  return h(
    "tr",
    { dataset: { sku: line.sku } },
    h("td", {}, h("a", { href: `#/product/${line.product?.slug}` }, line.product?.name || line.sku), " ", line.variant?.title || ""),
    h("td", {}, String(line.quantity)),
    h("td", {}, money(line.total)),
    h("td", {}, line.problem ? problem(line.problem, `Problem: ${line.problem.toLowerCase().replaceAll("_", " ")}`) : ""),
  );
}

async function checkout(cartData, form, status) {
  const session = auth.get();
  if (!session) {
    status.replaceChildren(problem("SIGN_IN", "Sign in to check out.", h("a", { href: "#/signin?next=cart", class: "button" }, "Sign in")));
    return;
  }
  const paymentToken = new FormData(form).get("payment");
  status.replaceChildren(h("span", {}, "Paying…"));
  try {
    const result = (
      await execute(
        "CheckoutComplete",
        { cartId: cartData.id, paymentToken, idempotencyKey: idempotencyKey(), expectedVersion: cartData.version },
        credentials(),
      )
    ).checkoutComplete;
    if (result.__typename === "CheckoutCompleteSuccess") {
      cart.clear();
      refreshHeader();
      location.hash = `#/order/${encodeURIComponent(result.order.id)}`;
      return;
    }
    const messages = {
      PAYMENT_DECLINED: `Your card was declined (${result.declineCode || "declined"}). Try another card.`,
      INSUFFICIENT_STOCK: `Out of stock: only ${result.available ?? 0} left of ${result.sku}.`,
      VERSION_CONFLICT: "Your cart changed on another device. Check it and pay again.",
    };
    status.replaceChildren(problem(result.code, messages[result.code] || result.message));
  } catch (error) {
    status.replaceChildren(failure(error));
  }
}

async function renderCart() {
  const current = cart.get();
  if (!current) return h("section", { class: "cart" }, h("h1", {}, "Your cart"), problem("EMPTY", "Your cart is empty."));
  const data = await execute("Cart", { id: current.id }, credentials());
  if (!data.cart) {
    cart.clear();
    refreshHeader();
    return problem("NOT_FOUND", "This cart is gone (checked out or expired). Start a new one.");
  }
  const c = data.cart;
  cart.set({ ...current, itemCount: c.itemCount });
  refreshHeader();
  const config = await pageConfig();
  const status = h("div", { id: "checkout-status" });
  const form = h(
    "form",
    { id: "checkout", onsubmit: (e) => { e.preventDefault(); checkout(c, form, status); } },
    h("label", {}, "Payment ", h("select", { name: "payment" }, config.paymentMethods.map((m) => h("option", { value: m.token }, m.label)))),
    h("button", { type: "submit", id: "pay", disabled: c.itemCount === 0 }, `Pay ${money(c.totals.total)}`),
  );
  return h(
    "section",
    { class: "cart", dataset: { items: String(c.itemCount) } },
    h("h1", {}, "Your cart"),
    h("table", {}, h("tbody", {}, c.lines.map(cartLine))),
    h("p", { class: "total" }, `Total ${money(c.totals.total)}`),
    form,
    status,
  );
}

async function renderSignIn(next) {
  const status = h("div", { id: "signin-status" });
  const form = h(
    "form",
    {
      id: "signin",
      onsubmit: async (e) => {
        e.preventDefault();
        const values = new FormData(form);
        status.replaceChildren(h("span", {}, "Signing in…"));
        try {
          await signIn(String(values.get("email")), String(values.get("password")));
          await mergeAnonymousCart();
          refreshHeader();
          location.hash = AFTER_SIGN_IN[next] || "#/";
        } catch (error) {
          status.replaceChildren(failure(error));
        }
      },
    },
    h("label", {}, "Email ", h("input", { name: "email", type: "email", required: true, autocomplete: "username", placeholder: "shopper@vitrine.local" })),
    h("label", {}, "Password ", h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" })),
    h("button", { type: "submit" }, "Sign in"),
  );
  return h("section", { class: "signin" }, h("h1", {}, "Sign in"), form, status);
}

/** After sign-in: the anonymous cart becomes the shopper's (cartMerge). */
async function mergeAnonymousCart() {
  const current = cart.get();
  if (!current?.token) return;
  const merged = (
    await execute("CartMerge", { anonymousCartId: current.id, idempotencyKey: idempotencyKey() }, credentials())
  ).cartMerge;
  if (merged.__typename === "CartMergeSuccess") {
    cart.set({ id: merged.cart.id, token: null, itemCount: merged.cart.itemCount });
  } else {
    cart.clear();
    showNotice(`Your previous cart could not be kept: ${merged.message}`);
  }
}

async function renderOrder(id) {
  if (!auth.get()) return problem("SIGN_IN", "Sign in to see your order.", h("a", { href: "#/signin", class: "button" }, "Sign in"));
  const { order } = await execute("Order", { id }, credentials());
  if (!order) return problem("NOT_FOUND", "There is no such order in your account.");
  const status = h("strong", { id: "order-status", dataset: { status: order.status } }, order.status);
  const liveProblem = h("div", { id: "order-live" });
  const show = (value) => {
    status.textContent = value;
    status.dataset.status = value;
  };
  const page = h(
    "section",
    { class: "order", dataset: { number: order.number } },
    h("h1", {}, `Thank you! Order ${order.number}`),
    h("p", {}, "Status: ", status),
    liveProblem,
    h("table", {}, h("tbody", {}, order.lines.map((l) => h("tr", {}, h("td", {}, l.product?.name || l.sku), h("td", {}, String(l.quantity)), h("td", {}, money(l.total)))))),
    h("p", { class: "total" }, `Paid ${money(order.totals.total)}`),
  );
  // The status follows the order live (the merchant fulfils, cancels or refunds it).
  page.startLive = () =>
    live("OnOrderStatusChanged", { orderId: id }, {
      onData: (data) => show(data.onOrderStatusChanged.status),
      resync: async () => {
        const fresh = (await execute("Order", { id }, credentials())).order;
        if (fresh) show(fresh.status);
      },
      onProblem: (error) => liveProblem.replaceChildren(failure(error)),
    });
  return page;
}

let navigation = 0;

async function route() {
  const ticket = ++navigation; // a slower earlier page must not replace a later one
  stopAll();
  showNotice("");
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  view.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  let page;
  try {
    if (parts[0] === "category") page = await renderCategory(parts[1], parts[2] || null);
    else if (parts[0] === "product") page = await renderProduct(parts[1]);
    else if (parts[0] === "cart") page = await renderCart();
    else if (parts[0] === "signin") page = await renderSignIn(new URLSearchParams(query).get("next"));
    else if (parts[0] === "order") page = await renderOrder(parts[1]);
    else if (parts[0] === "search") page = await renderSearch(new URLSearchParams(query));
    else if (parts[0] === "merchant") page = await renderMerchant(failure);
    else page = await renderHome();
  } catch (error) {
    page = failure(error);
  }
  if (ticket !== navigation) return;
  view.replaceChildren(page);
  page.startLive?.();
}

document.getElementById("signout").addEventListener("click", () => {
  auth.clear();
  cart.clear();
  refreshHeader();
  location.hash = "#/";
});
window.addEventListener("hashchange", route);
refreshHeader();
mountSearchBox();
renderNav();
route();
