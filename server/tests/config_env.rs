//! `--recompute` and `--durability` fall back to `WORKSHOP_RECOMPUTE` and
//! `WORKSHOP_DURABILITY`. Its own test binary, with one test: the environment is the
//! process's, and no other test may see these variables.

#![allow(clippy::unwrap_used, missing_docs)]

use clap::Parser;
use workshop_server::config::{Config, Switch};

#[test]
fn the_switches_fall_back_to_the_environment_and_flags_win() {
    std::env::set_var("WORKSHOP_RECOMPUTE", "off");
    std::env::set_var("WORKSHOP_DURABILITY", "off");
    let config = Config::try_parse_from(["workshop-server"]).unwrap();
    assert_eq!(config.recompute, Switch::Off);
    assert_eq!(config.durability, Switch::Off);
    let config = Config::try_parse_from(["workshop-server", "--durability", "on"]).unwrap();
    assert_eq!(config.recompute, Switch::Off);
    assert_eq!(config.durability, Switch::On);

    std::env::set_var("WORKSHOP_DURABILITY", "sometimes");
    let error = Config::try_parse_from(["workshop-server"]).unwrap_err();
    assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
    assert!(
        error.to_string().contains("[possible values: on, off]"),
        "{error}"
    );

    std::env::remove_var("WORKSHOP_RECOMPUTE");
    std::env::remove_var("WORKSHOP_DURABILITY");
    let config = Config::try_parse_from(["workshop-server"]).unwrap();
    assert_eq!(config.recompute, Switch::On);
    assert_eq!(config.durability, Switch::On);
}
