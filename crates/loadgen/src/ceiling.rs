//! The ceiling: a minimal hyper HTTP/1.1 server that reads each request and answers a fixed
//! GetCallerIdentity-sized body, on its own tokio runtime (as many workers as rolegate gets).
//! What the generator reaches against it is the most this machine can give the generator
//! and a hyper server together; rolegate's numbers read as a share of that.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use tokio::sync::oneshot;

const BODY: &str = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/loadgen</Arn><UserId>AIDAEXAMPLEEXAMPLE000</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

/// A running ceiling server; dropping it stops the server and its runtime.
pub struct Ceiling {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ceiling {
    pub fn start(workers: usize) -> Result<Ceiling, String> {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("ceiling: {e}"))?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| format!("ceiling: {e}"))?;
        let addr = std_listener
            .local_addr()
            .map_err(|e| format!("ceiling: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name("ceiling")
            .enable_all()
            .build()
            .map_err(|e| format!("ceiling runtime: {e}"))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                tokio::select! {
                    _ = stopped => {}
                    _ = accept_loop(listener) => {}
                }
            });
            // Connections still open end with the runtime.
            runtime.shutdown_background();
        });
        Ok(Ceiling {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

async fn accept_loop(listener: tokio::net::TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

async fn answer(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body as a real server must (PutObject sends 4 KiB).
    let mut body = req.into_body();
    while let Some(Ok(_)) = body.frame().await {}
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    Ok(resp)
}

impl Drop for Ceiling {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
