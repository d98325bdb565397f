//! Panics, as a Rust filter with an `unwrap()` on a bad header would, when a request carries
//! `x-panic`; otherwise forwards the request and adds `x-panic-on-header: passed` to the response.
//!
//! The SDK's panic hook logs the panic at critical level ("panicked at src/lib.rs:L:C:" and the
//! message on the next line), then `panic = "abort"` traps with `unreachable`.

use std::fmt;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(PanicRoot) });
}}

struct NotANumber(&'static str);

impl fmt::Debug for NotANumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is not a number", self.0)
    }
}

struct PanicRoot;

impl Context for PanicRoot {}

impl RootContext for PanicRoot {
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(PanicOnHeader))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct PanicOnHeader;

impl Context for PanicOnHeader {}

impl HttpContext for PanicOnHeader {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.get_http_request_header("x-panic").is_some() {
            let user = self.get_http_request_header("x-user").unwrap_or_default();
            let id: u32 = user.parse().map_err(|_| NotANumber("x-user")).unwrap();
            log::info!("user {id}");
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.add_http_response_header("x-panic-on-header", "passed");
        Action::Continue
    }
}
