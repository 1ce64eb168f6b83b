// Defines <srm-xero-post-journals proxy-url gl-feed-url caller-token>, the element SRM's Daily
// Close page embeds (DESIGN.md "Embedding contract"). Served by the proxy beside the component's
// wasm-bindgen output:
//
//   <script type="module" src="https://xero-proxy.tenant.example/embed.js"></script>
//   <srm-xero-post-journals proxy-url="https://xero-proxy.tenant.example"
//       gl-feed-url="/srm/api/gl-postings" caller-token="eyJ…"></srm-xero-post-journals>
//
// The component renders inside a shadow root, so SRM's CSS does not reach it and its CSS does not
// leak out. Setting an attribute again (a fresh caller-token, say) hands the new value to the
// running component.

// The component's two files. Trunk names them by their content's hash; the proxy writes the
// current names over these when it serves this file (which browsers revalidate on every load),
// so the files themselves are cached until the next release.
const SCRIPT = "srm-xero-frontend.js";
const WASM = "srm-xero-frontend_bg.wasm";

const here = new URL(".", import.meta.url);
const ATTRIBUTES = ["proxy-url", "gl-feed-url", "caller-token"];

let ready = null;
function loadWasm() {
  if (!ready) {
    ready = import(new URL(SCRIPT, here).href).then(async (bindings) => {
      await bindings.default({ module_or_path: new URL(WASM, here) });
      return bindings;
    });
  }
  return ready;
}

// proxy-url defaults to the origin embed.js came from.
function proxyUrl(element) {
  const value = element.getAttribute("proxy-url");
  return value && value.trim() ? value.trim() : here.origin;
}

class SrmXeroPostJournals extends HTMLElement {
  static get observedAttributes() {
    return ATTRIBUTES;
  }

  constructor() {
    super();
    this.embedded = null;
    this.mounting = null;
  }

  connectedCallback() {
    if (this.embedded || this.mounting) return;
    const shadow = this.shadowRoot || this.attachShadow({ mode: "open" });
    const root = document.createElement("div");
    shadow.replaceChildren(root);
    this.mounting = loadWasm()
      .then((bindings) => {
        if (!this.isConnected) return;
        this.embedded = bindings.mountElement(
          root,
          proxyUrl(this),
          this.getAttribute("gl-feed-url") || "",
          this.getAttribute("caller-token") || "",
        );
      })
      .catch((error) => {
        root.textContent =
          "Post Xero Journals could not start: the component's files did not load from " +
          here.href + ". Reload the page; if it persists, tell your administrator. (" + error + ")";
        root.setAttribute("role", "alert");
      })
      .finally(() => {
        this.mounting = null;
      });
  }

  disconnectedCallback() {
    if (this.embedded) {
      this.embedded.destroy();
      this.embedded.free();
      this.embedded = null;
    }
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (!this.embedded || oldValue === newValue) return;
    this.embedded.set(name, name === "proxy-url" ? proxyUrl(this) : newValue);
  }
}

if (!customElements.get("srm-xero-post-journals")) {
  customElements.define("srm-xero-post-journals", SrmXeroPostJournals);
}

export { SrmXeroPostJournals };
