//! Asks a gRPC service before letting a request through, as an authorisation filter would: every
//! request pauses on a unary call `svc.Echo/Say("ping")` to the cluster `grpc_backend`, then resumes
//! with the answer in `x-grpc-reply` (or the gRPC status in `x-grpc-status`). When Envoy refuses the
//! call itself (an unknown cluster), the request goes on with `x-grpc-refused: <status>`.

use std::time::Duration;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

const CLUSTER: &str = "grpc_backend";

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(CalloutRoot) });
}}

struct CalloutRoot;

impl Context for CalloutRoot {}

impl RootContext for CalloutRoot {
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(AskFirst))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct AskFirst;

impl Context for AskFirst {
    // The SDK delivers the answer to the context that made the call, whatever context id Envoy uses.
    fn on_grpc_call_response(&mut self, _token_id: u32, status_code: u32, response_size: usize) {
        if status_code == 0 {
            let body = self.get_grpc_call_response_body(0, response_size).unwrap_or_default();
            self.set_http_request_header("x-grpc-reply", Some(&String::from_utf8_lossy(&body)));
        } else {
            self.set_http_request_header("x-grpc-status", Some(&status_code.to_string()));
        }
        self.resume_http_request();
    }
}

impl HttpContext for AskFirst {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let call = self.dispatch_grpc_call(CLUSTER, "svc.Echo", "Say", vec![], Some(b"ping"), Duration::from_secs(2));
        match call {
            Ok(_token) => Action::Pause,
            Err(status) => {
                log::warn!("gRPC call refused: {status:?}");
                self.set_http_request_header("x-grpc-refused", Some(&format!("{status:?}")));
                Action::Continue
            }
        }
    }
}
