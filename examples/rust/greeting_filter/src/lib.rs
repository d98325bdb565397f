//! An HTTP filter: adds a greeting header to every response and answers one path itself.
//!
//! Plugin configuration (JSON, every key optional):
//!   {"header": "x-greeting", "value": "hello", "reply_path": "/greeting"}
//! A configuration that is not a JSON object is refused: `on_configure` returns false, so Envoy
//! rejects the plugin instead of running it with settings the operator did not mean.

use std::rc::Rc;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use serde_json::Value;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(GreetingRoot { settings: Rc::new(Settings::default()) })
    });
}}

struct Settings {
    header: String,
    value: String,
    reply_path: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            header: "x-greeting".to_string(),
            value: "hello".to_string(),
            reply_path: "/greeting".to_string(),
        }
    }
}

impl Settings {
    fn from_json(text: &[u8]) -> Result<Settings, String> {
        let mut settings = Settings::default();
        if text.is_empty() {
            return Ok(settings);
        }
        let parsed: Value = serde_json::from_slice(text).map_err(|e| format!("not JSON: {e}"))?;
        let object = parsed.as_object().ok_or("the configuration must be a JSON object")?;
        for (key, slot) in [
            ("header", &mut settings.header),
            ("value", &mut settings.value),
            ("reply_path", &mut settings.reply_path),
        ] {
            match object.get(key) {
                None => {}
                Some(Value::String(text)) => *slot = text.clone(),
                Some(_) => return Err(format!("\"{key}\" must be a string")),
            }
        }
        Ok(settings)
    }
}

struct GreetingRoot {
    settings: Rc<Settings>,
}

impl Context for GreetingRoot {}

impl RootContext for GreetingRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let text = self.get_plugin_configuration().unwrap_or_default();
        match Settings::from_json(&text) {
            Ok(settings) => {
                log::info!(
                    "greeting_filter configured: {}: {}, local reply at {}",
                    settings.header,
                    settings.value,
                    settings.reply_path
                );
                self.settings = Rc::new(settings);
                true
            }
            Err(problem) => {
                log::error!("greeting_filter: bad configuration: {problem}");
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Greeting { settings: Rc::clone(&self.settings) }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Greeting {
    settings: Rc<Settings>,
}

impl Context for Greeting {}

impl HttpContext for Greeting {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let path = self.get_http_request_header(":path").unwrap_or_default();
        // the path without its query string
        if path.split('?').next() == Some(self.settings.reply_path.as_str()) {
            let body = format!("{}\n", self.settings.value);
            self.send_http_response(200, vec![("content-type", "text/plain")], Some(body.as_bytes()));
            return Action::Pause;
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.add_http_response_header(&self.settings.header, &self.settings.value);
        Action::Continue
    }
}
