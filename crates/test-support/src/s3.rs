//! A real S3 server on loopback for tests: `s3s` + `s3s-fs` serving a
//! directory, with SigV4 authentication switched on, so requests are signed
//! and checked exactly as a real S3-compatible server would (feature `s3`).
//!
//! Each bucket is a directory under the server's root and each object a file
//! under it ([`S3Server::object_file`]), so a test can look behind the
//! server's back.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The access key id the server accepts.
pub const ACCESS_KEY: &str = "ctTestAccessKey";
/// The secret key the server accepts (tests assert it never leaks).
pub const SECRET_KEY: &str = "ctTestSecretKey-0123456789-do-not-leak";
/// The bucket [`S3Server::start`] creates.
pub const BUCKET: &str = "models";

/// An s3s-fs server on its own runtime; dropping it stops the server and
/// every open connection.
pub struct S3Server {
    rt: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
    root: PathBuf,
}

impl S3Server {
    /// Serve `root` on `addr` (port 0: any free port) with the bucket
    /// [`BUCKET`] created. Rebinding the port of a server that just stopped
    /// is retried for up to 5 s.
    pub fn start(root: &Path, addr: SocketAddr) -> Self {
        std::fs::create_dir_all(root.join(BUCKET)).expect("create the bucket directory");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("start the S3 server's runtime");
        let fs = s3s_fs::FileSystem::new(root).expect("serve the S3 root");
        let mut b = s3s::service::S3ServiceBuilder::new(fs);
        b.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = b.build();
        // A std listener, so starting works from inside a tokio test too.
        let listener = {
            let mut tries = 0;
            loop {
                match std::net::TcpListener::bind(addr) {
                    Ok(l) => break l,
                    Err(e) if tries < 100 => {
                        tries += 1;
                        eprintln!("rebinding {addr}: {e}");
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(e) => panic!("cannot bind {addr}: {e}"),
                }
            }
        };
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the listener's address");
        rt.spawn(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                // As S3 servers do: without it, a response written as headers
                // then body waits on the client's delayed ACK (tens of ms).
                let _ = sock.set_nodelay(true);
                let conn = http
                    .serve_connection(TokioIo::new(sock), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Self {
            rt: Some(rt),
            addr,
            root: root.to_path_buf(),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The file holding `key` of [`BUCKET`].
    pub fn object_file(&self, key: &str) -> PathBuf {
        key.split('/')
            .fold(self.root.join(BUCKET), |p, seg| p.join(seg))
    }

    /// Stop now (connections dropped, the port closed); returns the address
    /// so a test can start it again there.
    pub fn stop(mut self) -> SocketAddr {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
        self.addr
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
