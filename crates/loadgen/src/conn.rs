//! One HTTP/1.1 keep-alive client connection (hyper 1, no pool), reconnecting when the server
//! closes it: moto's werkzeug answers HTTP/1.0 and closes after every response, and a load
//! generator must measure that cost rather than fail on it.

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{handshake, SendRequest};
use hyper::{Request, Response, Version};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// How much of an error response body is kept for the report.
const SAMPLE_BYTES: usize = 300;

pub struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// What came back: the status, and the body when it was asked for (or an error sample).
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn { addr, sender: None }
    }

    async fn connect(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(self.addr)
                .await
                .map_err(|e| format!("connect {}: {e}", self.addr))?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) = handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| "no connection".to_owned())
    }

    /// Sends one request and reads the whole response. The body is kept when `keep_body` is
    /// set or the status is not 2xx (its first bytes then explain the error); otherwise it is
    /// read and dropped frame by frame, so the measured path allocates nothing for it.
    pub async fn send(
        &mut self,
        req: Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Reply, String> {
        let result = self.exchange(req, keep_body).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        req: Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Reply, String> {
        let sender = self.connect().await?;
        sender.ready().await.map_err(|e| format!("ready: {e}"))?;
        let resp: Response<hyper::body::Incoming> = sender
            .send_request(req)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = resp.status().as_u16();
        let close = wants_close(&resp);
        let keep = keep_body || !(200..300).contains(&status);
        let mut body = resp.into_body();
        let mut kept = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("body: {e}"))?;
            if let Some(data) = frame.data_ref() {
                if keep_body {
                    kept.extend_from_slice(data);
                } else if keep && kept.len() < SAMPLE_BYTES {
                    let n = (SAMPLE_BYTES - kept.len()).min(data.len());
                    kept.extend_from_slice(&data[..n]);
                }
            }
        }
        if close {
            self.sender = None;
        }
        Ok(Reply {
            status,
            body: kept.freeze(),
        })
    }
}

/// Whether the server will close the connection after this response.
fn wants_close<B>(resp: &Response<B>) -> bool {
    let conn = resp
        .headers()
        .get(hyper::header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    match conn.as_deref() {
        Some(v) if v.contains("close") => true,
        Some(v) if v.contains("keep-alive") => false,
        _ => resp.version() == Version::HTTP_10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unwrap_used)]
    fn resp(version: Version, connection: Option<&str>) -> Response<()> {
        let mut r = Response::new(());
        *r.version_mut() = version;
        if let Some(c) = connection {
            r.headers_mut()
                .insert(hyper::header::CONNECTION, c.parse().unwrap());
        }
        r
    }

    #[test]
    fn close_is_detected() {
        assert!(!wants_close(&resp(Version::HTTP_11, None)));
        assert!(wants_close(&resp(Version::HTTP_11, Some("close"))));
        assert!(wants_close(&resp(Version::HTTP_10, None)));
        assert!(!wants_close(&resp(Version::HTTP_10, Some("keep-alive"))));
    }
}
