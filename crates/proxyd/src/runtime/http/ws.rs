//! WebSocket to HTTP/2 servers (RFC 8441), as HAProxy's `ws auto` does with `proto h2`:
//! an HTTP/1.1 client's handshake goes to the server as an extended CONNECT
//! (`:protocol websocket`), and the server's 2xx comes back as the 101 the client waits
//! for, with the `Sec-WebSocket-Accept` its key asks for (RFC 6455, 4.2.2). The bytes
//! then pass as in any other tunnel.

use http::header::{HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use http::{HeaderMap, Method, Request, Response, StatusCode, Version};

/// RFC 6455's fixed suffix of the accept hash.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept(key: &[u8]) -> HeaderValue {
    use base64::Engine;
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(key);
    h.update(GUID);
    let text = base64::engine::general_purpose::STANDARD.encode(h.finalize());
    // Base64's alphabet is always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether the request is an HTTP/1.1 client's WebSocket handshake (`Upgrade:
/// websocket`; its version may say HTTP/2 already, the server's).
pub fn is_handshake<B>(req: &Request<B>) -> bool {
    req.method() == Method::GET
        && req.headers().contains_key(SEC_WEBSOCKET_KEY)
        && super::plan::has_token(req.headers(), UPGRADE, "websocket")
}

/// Turns a handshake into an extended CONNECT for an HTTP/2 server; returns the client's
/// key (the server of an extended CONNECT gets none).
pub fn to_extended_connect<B>(req: &mut Request<B>) -> Option<HeaderValue> {
    let key = req.headers_mut().remove(SEC_WEBSOCKET_KEY)?;
    *req.method_mut() = Method::CONNECT;
    strip_upgrade(req.headers_mut());
    req.extensions_mut()
        .insert(hyper::ext::Protocol::from_static("websocket"));
    Some(key)
}

/// Undoes `to_extended_connect` (a request given back unsent, to go again).
pub fn from_extended_connect<B>(req: &mut Request<B>, key: HeaderValue) {
    *req.method_mut() = Method::GET;
    req.extensions_mut().remove::<hyper::ext::Protocol>();
    let h = req.headers_mut();
    h.insert(SEC_WEBSOCKET_KEY, key);
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
}

/// The HTTP/2 server's answer to the extended CONNECT, as the HTTP/1.1 client expects
/// it: a 2xx becomes 101 Switching Protocols; anything else goes as it is (a refusal).
pub fn to_switching<B>(resp: &mut Response<B>, key: &HeaderValue) {
    if !resp.status().is_success() {
        return;
    }
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *resp.version_mut() = Version::HTTP_11;
    let h = resp.headers_mut();
    h.remove(http::header::CONTENT_LENGTH);
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(SEC_WEBSOCKET_ACCEPT, accept(key.as_bytes()));
}

fn strip_upgrade(h: &mut HeaderMap) {
    h.remove(UPGRADE);
    h.remove(CONNECTION);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_of_rfc_6455s_example_key() {
        assert_eq!(
            accept(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    fn handshake() -> Request<()> {
        Request::builder()
            .uri("http://ws.example/chat")
            .header("host", "ws.example")
            .header("connection", "keep-alive, Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-protocol", "chat")
            .body(())
            .unwrap()
    }

    #[test]
    fn a_handshake_becomes_an_extended_connect_and_its_2xx_a_101() {
        let mut req = handshake();
        assert!(is_handshake(&req));
        let key = to_extended_connect(&mut req).unwrap();
        assert_eq!(req.method(), Method::CONNECT);
        assert_eq!(
            req.extensions()
                .get::<hyper::ext::Protocol>()
                .map(|p| p.as_str()),
            Some("websocket")
        );
        let h = req.headers();
        assert!(!h.contains_key(UPGRADE) && !h.contains_key(CONNECTION));
        assert!(!h.contains_key(SEC_WEBSOCKET_KEY));
        // What the server needs to choose a subprotocol stays.
        assert_eq!(h["sec-websocket-version"], "13");
        assert_eq!(h["sec-websocket-protocol"], "chat");

        let mut ok = Response::builder()
            .status(200)
            .header("sec-websocket-protocol", "chat")
            .body(())
            .unwrap();
        to_switching(&mut ok, &key);
        assert_eq!(ok.status(), 101);
        assert_eq!(ok.headers()["upgrade"], "websocket");
        assert_eq!(
            ok.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(ok.headers()["sec-websocket-protocol"], "chat");

        let mut again = req;
        from_extended_connect(&mut again, key.clone());
        assert!(is_handshake(&again));

        let mut refused = Response::builder().status(404).body(()).unwrap();
        to_switching(&mut refused, &key);
        assert_eq!(refused.status(), 404);
        assert!(!refused.headers().contains_key(SEC_WEBSOCKET_ACCEPT));
    }

    #[test]
    fn not_a_websocket_handshake() {
        let mut other = handshake();
        other
            .headers_mut()
            .insert(UPGRADE, HeaderValue::from_static("h2c"));
        assert!(!is_handshake(&other));
        let mut post = handshake();
        *post.method_mut() = Method::POST;
        assert!(!is_handshake(&post));
    }
}
