//! A real HTTP server on 127.0.0.1 for the vendor tests (tiny_http, one thread per request).
//! Routes serve fixture files or misbehave on purpose: 404/500, failing N times then
//! succeeding, slow answers, bodies cut off half way, redirects, HTML where JS was expected,
//! and JSON for a fake npm registry. Every request is recorded, so tests can assert that a
//! command used no network at all.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one path answers.
#[derive(Clone, Debug)]
pub enum Route {
    /// 200 with this body and content type.
    Body { body: Vec<u8>, content_type: String },
    /// An empty answer with this status.
    Status(u16),
    /// Answer `status` for the first `times` requests, then `then`.
    FailThen {
        times: usize,
        status: u16,
        then: Box<Route>,
    },
    /// Wait, then answer `then`.
    Slow { delay: Duration, then: Box<Route> },
    /// Claim `claimed` bytes, send `body`, and close the connection.
    Truncated { body: Vec<u8>, claimed: usize },
    /// 302 to this location.
    Redirect(String),
}

impl Route {
    pub fn js(body: impl Into<Vec<u8>>) -> Self {
        Self::Body {
            body: body.into(),
            content_type: "application/javascript; charset=utf-8".into(),
        }
    }
    pub fn css(body: impl Into<Vec<u8>>) -> Self {
        Self::Body {
            body: body.into(),
            content_type: "text/css; charset=utf-8".into(),
        }
    }
    pub fn html(body: impl Into<Vec<u8>>) -> Self {
        Self::Body {
            body: body.into(),
            content_type: "text/html; charset=utf-8".into(),
        }
    }
    pub fn json(value: &serde_json::Value) -> Self {
        Self::Body {
            body: value.to_string().into_bytes(),
            content_type: "application/json".into(),
        }
    }
}

pub struct TestServer {
    port: u16,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    hits: Arc<Mutex<Vec<String>>>,
    server: Arc<tiny_http::Server>,
}

impl TestServer {
    pub fn start() -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind test server"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let (s, r, h) = (server.clone(), routes.clone(), hits.clone());
        std::thread::spawn(move || {
            for request in s.incoming_requests() {
                let path = request.url().to_string();
                h.lock().unwrap().push(path.clone());
                let route = {
                    let mut routes = r.lock().unwrap();
                    match routes.get_mut(&path) {
                        Some(Route::FailThen {
                            times,
                            status,
                            then,
                        }) => {
                            if *times > 0 {
                                *times -= 1;
                                Some(Route::Status(*status))
                            } else {
                                Some((**then).clone())
                            }
                        }
                        other => other.cloned(),
                    }
                };
                std::thread::spawn(move || answer(request, route.unwrap_or(Route::Status(404))));
            }
        });
        Self {
            port,
            routes,
            hits,
            server,
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    pub fn route(&self, path: &str, route: Route) -> &Self {
        self.routes.lock().unwrap().insert(path.to_string(), route);
        self
    }

    /// Every path requested so far.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }

    pub fn hits_for(&self, path: &str) -> usize {
        self.hits().iter().filter(|p| *p == path).count()
    }

    pub fn clear_hits(&self) {
        self.hits.lock().unwrap().clear();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn answer(request: tiny_http::Request, route: Route) {
    match route {
        Route::Body { body, content_type } => {
            let header =
                tiny_http::Header::from_bytes("Content-Type", content_type.as_bytes()).unwrap();
            let _ = request.respond(tiny_http::Response::from_data(body).with_header(header));
        }
        Route::Status(code) => {
            let _ = request.respond(tiny_http::Response::empty(code));
        }
        Route::FailThen { then, .. } => answer(request, *then),
        Route::Slow { delay, then } => {
            std::thread::sleep(delay);
            answer(request, *then);
        }
        Route::Truncated { body, claimed } => {
            let mut w = request.into_writer();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: {claimed}\r\nConnection: close\r\n\r\n"
            );
            let _ = w.write_all(head.as_bytes());
            let _ = w.write_all(&body);
            let _ = w.flush();
            drop(w);
        }
        Route::Redirect(location) => {
            let header = tiny_http::Header::from_bytes("Location", location.as_bytes()).unwrap();
            let _ = request.respond(tiny_http::Response::empty(302).with_header(header));
        }
    }
}
