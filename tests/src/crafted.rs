//! Document updates made by hand, as an attacker makes them: blocks at chosen client ids and
//! clocks, with chosen origins, that no Yjs client would produce.

use yrs::encoding::write::Write;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::{Encoder, EncoderV1};
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update, ID};

use crate::workshop::{set_score, SHARED_UNDERSTANDING, WHOLE_SYSTEM};

/// Block content reference of a string item (lib0's `ContentString`).
const CONTENT_STRING: u8 = 4;
/// Info bit: the item has a left origin.
const HAS_ORIGIN: u8 = 0b1000_0000;
/// Info bit: the item has a right origin.
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
/// Info bit: the item has a parent key (it is a map entry).
const HAS_PARENT_SUB: u8 = 0b0010_0000;

/// One block.
#[derive(Debug, Clone)]
pub enum Block {
    /// A range of this many garbage-collected clocks.
    Gc(u32),
    /// A range of this many clocks skipped (a gap in a merged update).
    Skip(u32),
    /// A string item placed between two origins; its parent (and key) come from them.
    Between {
        /// Left origin.
        origin: Option<ID>,
        /// Right origin.
        right: Option<ID>,
        /// Content.
        text: String,
    },
    /// A string item set as key `key` of root map `root` (no origins).
    InRoot {
        /// The root map's name.
        root: String,
        /// The key.
        key: String,
        /// Content.
        text: String,
    },
}

/// A v1 update with one run of blocks per client (each starting at its clock) and no
/// deletions.
pub fn update(runs: &[(ClientID, u32, Vec<Block>)]) -> Vec<u8> {
    let mut encoder = EncoderV1::new();
    encoder.write_var(runs.len() as u32);
    for (client, clock, blocks) in runs {
        encoder.write_var(blocks.len() as u32);
        encoder.write_client(*client);
        encoder.write_var(*clock);
        for block in blocks {
            write_block(&mut encoder, block);
        }
    }
    encoder.write_var(0u32);
    encoder.to_vec()
}

/// A v1 update of one block.
pub fn one(client: ClientID, clock: u32, block: Block) -> Vec<u8> {
    update(&[(client, clock, vec![block])])
}

fn write_block(encoder: &mut EncoderV1, block: &Block) {
    match block {
        Block::Gc(len) => {
            encoder.write_info(0);
            encoder.write_len(*len);
        }
        Block::Skip(len) => {
            encoder.write_info(10);
            encoder.write_len(*len);
        }
        Block::Between {
            origin,
            right,
            text,
        } => {
            let mut info = CONTENT_STRING;
            if origin.is_some() {
                info |= HAS_ORIGIN;
            }
            if right.is_some() {
                info |= HAS_RIGHT_ORIGIN;
            }
            encoder.write_info(info);
            if let Some(origin) = origin {
                encoder.write_left_id(origin);
            }
            if let Some(right) = right {
                encoder.write_right_id(right);
            }
            encoder.write_string(text);
        }
        Block::InRoot { root, key, text } => {
            encoder.write_info(CONTENT_STRING | HAS_PARENT_SUB);
            encoder.write_parent_info(true);
            encoder.write_string(root);
            encoder.write_string(key);
            encoder.write_string(text);
        }
    }
}

/// A copy of `doc` that writes under client id `client`, whoever owns it.
pub fn copy_as(doc: &Doc, client: u64) -> Doc {
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let copy = Doc::with_client_id(client);
    copy.transact_mut()
        .apply_update(Update::decode_v1(&state).expect("a document's own state decodes"))
        .expect("a document's own state applies");
    copy
}

/// An update made on `doc`: `participant`'s score `score` on the factor the attack tests
/// vote on.
pub fn vote_update(doc: &Doc, participant: &str, score: i64) -> Vec<u8> {
    let mut txn = doc.transact_mut();
    set_score(
        &mut txn,
        WHOLE_SYSTEM,
        SHARED_UNDERSTANDING,
        participant,
        score,
    );
    txn.encode_update_v1()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, Map, Transact, Update};

    #[test]
    fn a_root_entry_made_by_hand_reads_as_yrs_would_write_it() {
        let doc = Doc::new();
        let bytes = one(
            ClientID::new(5),
            0,
            Block::InRoot {
                root: "meta".into(),
                key: "title".into(),
                text: "Hand made".into(),
            },
        );
        doc.transact_mut()
            .apply_update(Update::decode_v1(&bytes).unwrap())
            .unwrap();
        let meta = doc.get_or_insert_map("meta");
        let txn = doc.transact();
        assert_eq!(
            meta.get(&txn, "title").unwrap().to_string(&txn),
            "Hand made"
        );
        // A string item after it, as its left origin: the new value of the same key.
        drop(txn);
        let after = one(
            ClientID::new(6),
            0,
            Block::Between {
                origin: Some(ID::new(ClientID::new(5), 0)),
                right: None,
                text: "Replaced".into(),
            },
        );
        doc.transact_mut()
            .apply_update(Update::decode_v1(&after).unwrap())
            .unwrap();
        let txn = doc.transact();
        assert_eq!(meta.get(&txn, "title").unwrap().to_string(&txn), "Replaced");
    }
}
