//! The "Post Xero Journals" component that SRM's Backoffice > Daily Close page embeds.
//!
//! `embed.js` defines the `<srm-xero-post-journals>` custom element: it attaches a shadow root and
//! calls [`mount_element`] with the element's attributes, then forwards attribute changes to the
//! returned [`Embedded`] handle. The page itself is [`app::App`]: a pure reducer ([`state`]), the
//! user's requests ([`intent`]), the side effects as named operations ([`effects`]) over the proxy
//! and feed client ([`api`]), and small components ([`components`]).

pub mod api;
pub mod app;
mod browser;
pub mod components;
pub mod effects;
pub mod format;
pub mod intent;
pub mod state;
mod style;

/// The tests' fixtures (shared with the browser tests in `tests/`), never in the library.
#[cfg(test)]
#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Element;
use yew::{AppHandle, AttrValue, Renderer};

pub use app::{App, AppProps};

// Smaller in the bundle than the standard library's allocator (see Cargo.toml).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
pub use style::STYLE;

/// The page title, as SRM's Daily Close menu names it.
pub const TITLE: &str = "Post Xero Journals";

/// The label of the export-number field, word for word from SRM's page.
pub const EXPORT_NUMBER_LABEL: &str = "Export Transaction # (Blank for New)";

/// The label of the date from which postings are synchronised.
pub const SYNC_FROM_LABEL: &str = "Sync from";

/// Renders [`App`] inside `element`, replacing nothing outside it.
pub fn mount(element: Element, props: AppProps) -> AppHandle<App> {
    Renderer::<App>::with_root_and_props(element, props).render()
}

/// The mounted component, for `embed.js`: attribute changes arrive through [`Embedded::set`].
#[wasm_bindgen]
pub struct Embedded {
    handle: Option<AppHandle<App>>,
    props: AppProps,
}

#[wasm_bindgen]
impl Embedded {
    /// An attribute of the element changed (`proxy-url`, `gl-feed-url` or `caller-token`); a new
    /// caller token is used from the next request on.
    pub fn set(&mut self, name: &str, value: Option<String>) {
        let value = AttrValue::from(value.unwrap_or_default());
        let mut props = self.props.clone();
        match name {
            "proxy-url" => props.proxy_url = value,
            "gl-feed-url" => props.gl_feed_url = value,
            "caller-token" => props.caller_token = value,
            _ => return,
        }
        if props != self.props {
            self.props = props.clone();
            if let Some(handle) = &mut self.handle {
                handle.update(props);
            }
        }
    }

    /// Removes the component (the element left the page).
    pub fn destroy(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.destroy();
        }
    }
}

/// Mounts the component into `root` (a `<div>` inside the element's shadow root).
#[wasm_bindgen(js_name = mountElement)]
pub fn mount_element(
    root: Element,
    proxy_url: String,
    gl_feed_url: String,
    caller_token: String,
) -> Embedded {
    let props = AppProps {
        proxy_url: proxy_url.into(),
        gl_feed_url: gl_feed_url.into(),
        caller_token: caller_token.into(),
        backend: None,
    };
    Embedded {
        handle: Some(mount(root, props.clone())),
        props,
    }
}
