//! Assertions shared by the end-to-end tests: how a connection ended, and that two clients
//! still sync both ways.

use workshop_client::{ClientError, Ended, SyncClient};

use crate::workshop::{participant, scores, set_score, SHARED_UNDERSTANDING, WHOLE_SYSTEM};
use crate::TIMEOUT;

/// Asserts the connection was closed by the server with `code` and a non-empty reason.
pub fn assert_closed_with(ended: &Ended, code: u16) {
    match ended {
        Ended::ServerClosed(info) => {
            assert_eq!(info.code, code, "{info}");
            assert!(!info.reason.is_empty(), "close {code} should say why");
        }
        other => panic!("expected the server to close with {code}, got: {other}"),
    }
}

/// Asserts a connection attempt was refused with close `code` (and a reason).
pub fn assert_refused_with(result: Result<(), ClientError>, code: u16) {
    match result {
        Err(ClientError::Closed(ended)) => assert_closed_with(&ended, code),
        Err(other) => panic!("expected close {code}, got: {other}"),
        Ok(()) => panic!("expected close {code}, but the connection synced"),
    }
}

/// Asserts that a vote written by one client reaches the other, both ways.
pub async fn assert_syncing(alice: &SyncClient, bob: &SyncClient) {
    let (ada, bea) = (participant(), participant());
    use yrs::Transact;
    set_score(
        &mut alice.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &ada,
        4,
    );
    let has = |who: String| {
        move |txn: &yrs::Transaction<'_>| {
            scores(txn, WHOLE_SYSTEM, SHARED_UNDERSTANDING).contains_key(&who)
        }
    };
    if let Err(error) = bob.wait_for(has(ada), TIMEOUT).await {
        panic!("the second client did not receive the first's vote: {error}");
    }
    set_score(
        &mut bob.doc().transact_mut(),
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        &bea,
        2,
    );
    if let Err(error) = alice.wait_for(has(bea), TIMEOUT).await {
        panic!("the first client did not receive the second's vote: {error}");
    }
}
