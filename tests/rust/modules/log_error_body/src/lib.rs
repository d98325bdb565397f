//! Logs every chunk of every request body at error level (as a debugging author might leave in),
//! and is otherwise well-behaved: it changes nothing and never pauses a stream.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(LogRoot) });
}}

struct LogRoot;

impl Context for LogRoot {}

impl RootContext for LogRoot {
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(LogErrorBody))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct LogErrorBody;

impl Context for LogErrorBody {}

impl HttpContext for LogErrorBody {
    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        let chunk = self.get_http_request_body(0, body_size).unwrap_or_default();
        let shown = &chunk[..chunk.len().min(256)];
        log::error!(
            "request body chunk of {} bytes (end_of_stream={}): {}",
            body_size,
            end_of_stream,
            String::from_utf8_lossy(shown)
        );
        Action::Continue
    }
}
