//! Stopping the server as a service manager does (SIGTERM): it exits successfully and closes
//! its store cleanly, and what was acknowledged before is there after the restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Server;

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_cleanly_and_keeps_what_was_acknowledged() {
    let mut server = Server::start();
    let iam = server.root_iam("111111111111");
    iam.create_user().user_name("kept").send().await.unwrap();
    let status = server.stop_and_restart();
    assert!(status.success(), "exit status {status}");
    let iam = server.root_iam("111111111111");
    let user = iam.get_user().user_name("kept").send().await.unwrap();
    assert_eq!(user.user().map(|u| u.user_name()), Some("kept"));
}
