//! A network (TCP) filter: counts the bytes each connection carries, both ways, in two counters.
//!
//! Envoy shows them as `byte_counter.downstream_bytes` and `byte_counter.upstream_bytes`; each
//! connection logs its totals when it closes.

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, RootContext, StreamContext};
use proxy_wasm::types::{Action, ContextType, LogLevel, MetricType, PeerType};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(CounterRoot { counters: None }) });
}}

#[derive(Clone, Copy)]
struct Counters {
    downstream: u32,
    upstream: u32,
}

struct CounterRoot {
    counters: Option<Counters>,
}

impl Context for CounterRoot {}

impl RootContext for CounterRoot {
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        let define = |name| hostcalls::define_metric(MetricType::Counter, name);
        match (define("byte_counter.downstream_bytes"), define("byte_counter.upstream_bytes")) {
            (Ok(downstream), Ok(upstream)) => {
                self.counters = Some(Counters { downstream, upstream });
                true
            }
            _ => {
                log::error!("byte_counter: the host refused to define its counters");
                false
            }
        }
    }

    fn create_stream_context(&self, _context_id: u32) -> Option<Box<dyn StreamContext>> {
        let counters = self.counters?;
        Some(Box::new(Connection { counters, downstream: 0, upstream: 0 }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::StreamContext)
    }
}

struct Connection {
    counters: Counters,
    downstream: u64,
    upstream: u64,
}

impl Context for Connection {}

impl StreamContext for Connection {
    fn on_downstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> Action {
        self.downstream += data_size as u64;
        // a counter the host lost is not worth breaking the connection for
        let _ = hostcalls::increment_metric(self.counters.downstream, data_size as i64);
        Action::Continue
    }

    fn on_upstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> Action {
        self.upstream += data_size as u64;
        let _ = hostcalls::increment_metric(self.counters.upstream, data_size as i64);
        Action::Continue
    }

    fn on_downstream_close(&mut self, _peer_type: PeerType) {
        log::info!("byte_counter: connection closed after {} bytes in, {} bytes out", self.downstream, self.upstream);
    }
}
