//! The command line: every subcommand and its arguments (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
// The document's enumerations, as the document spells them (`workshop_shared::schema`).
pub use workshop_shared::schema::{ActionStatus, Control, HypothesisStatus, ItemKind, Role, World};

/// A value as the document spells it: clap's name with underscores for dashes (the schema's
/// enumerations are named as the document spells them already).
pub fn doc_name<T: ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().replace('-', "_"))
        .unwrap_or_default()
}

/// Take part in a strengths-based commissioning workshop from the command line: edit offline,
/// sync later, watch the figures live and export the workbook.
///
/// Every workshop you create or join is kept on this device, so every editing command works
/// with no connection; `workshop sync ID` exchanges the changes with the server.
#[derive(Debug, Parser)]
#[command(name = "workshop", version, propagate_version = true)]
pub struct Cli {
    /// Where local workshops are kept [default: the platform's data directory + /workshop].
    #[arg(long, global = true, env = "WORKSHOP_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Also trust the certificates in this PEM file when reaching an https:// server (a
    /// private certificate authority's); the Mozilla roots are always trusted.
    #[arg(long, global = true, env = "SSL_CERT_FILE", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workshop on a server from the built-in template, and keep it on this device.
    Create(Create),
    /// List the workshops on a server that this device's tokens open, and those on this device.
    List(List),
    /// Join a workshop as a participant (once per device): registers you and downloads it.
    Join(Join),
    /// Your quick score (1 to 5) of a whole aspect.
    Quick(Quick),
    /// Your score (1 to 5) of a factor.
    Score(FactorValue),
    /// Your weight (0 to 3) of a factor.
    Weight(FactorValue),
    /// Set an agreed value (facilitator): a factor's score or weight, an aspect's quick score
    /// or an item's impact.
    #[command(subcommand)]
    Agree(Agree),
    /// Append a line to a factor's (or an aspect's) discussion notes.
    Note(Note),
    /// Add, rename or remove a factor.
    #[command(subcommand)]
    Factor(Factor),
    /// Add a constraint or enabler.
    #[command(subcommand)]
    Item(ItemCommand),
    /// Your impact vote (1 to 5) on a constraint or enabler.
    Impact(ItemValue),
    /// Your dots (0 to 3) on a constraint or enabler.
    Dots(ItemValue),
    /// Add or change an action of the development plan.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Add or change a hypothesis.
    #[command(subcommand)]
    Hypothesis(HypothesisCommand),
    /// Add or change a gap analysis objective.
    #[command(subcommand)]
    Gap(GapCommand),
    /// Choose the approach the workshop takes forward (facilitator); without APPROACH, go back
    /// to the recommended one.
    SelectApproach(SelectApproach),
    /// Exchange changes with the server both ways.
    Sync(WorkshopId),
    /// The figures, computed on this device from the local copy (works offline).
    Results(ResultsArgs),
    /// Stay connected and redraw the figures as others edit; Ctrl-C to stop.
    Watch(WorkshopId),
    /// Write the workshop to a file: an Excel workbook, a Markdown report, the votes as CSV,
    /// or the document as JSON.
    Export(Export),
}

/// `workshop create`.
#[derive(Debug, Args)]
pub struct Create {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "WORKSHOP_SERVER")]
    pub server: String,
    /// Title of the workshop.
    #[arg(long)]
    pub title: String,
    /// The place being assessed.
    #[arg(long)]
    pub place: String,
    /// The server's create token, if it requires one.
    #[arg(long, env = "WORKSHOP_CREATE_TOKEN", hide_env_values = true)]
    pub create_token: Option<String>,
}

/// `workshop list`.
#[derive(Debug, Args)]
pub struct List {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "WORKSHOP_SERVER")]
    pub server: String,
    /// A token to list with, besides those of the workshops on this device.
    #[arg(long, env = "WORKSHOP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// `workshop join`.
#[derive(Debug, Args)]
pub struct Join {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "WORKSHOP_SERVER")]
    pub server: String,
    /// The workshop id.
    pub id: String,
    /// Your name.
    #[arg(long)]
    pub name: String,
    /// Your organisation.
    #[arg(long, default_value = "")]
    pub org: String,
    /// Your role.
    #[arg(long, value_enum)]
    pub role: Role,
    /// Your world.
    #[arg(long, value_enum)]
    pub world: World,
    /// Your breakout group's id.
    #[arg(long, default_value = "")]
    pub group: String,
    /// The invite token (from the invite link); remembered for a workshop created here.
    #[arg(long, env = "WORKSHOP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// A workshop id alone.
#[derive(Debug, Args)]
pub struct WorkshopId {
    /// The workshop id.
    pub id: String,
}

/// `workshop quick`.
#[derive(Debug, Args)]
pub struct Quick {
    /// The workshop id.
    pub id: String,
    /// The aspect's id, e.g. whole-system.
    pub aspect: String,
    /// 1 (major area for development) to 5 (real strength); `clear` removes your vote.
    #[arg(allow_hyphen_values = true)]
    pub value: Vote,
}

/// A vote value, or `clear` to remove it.
#[derive(Debug, Clone, Copy)]
pub struct Vote(pub Option<i64>);

impl std::str::FromStr for Vote {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("clear") {
            return Ok(Vote(None));
        }
        s.parse::<i64>()
            .map(|n| Vote(Some(n)))
            .map_err(|_| format!("{s:?} is not a whole number (or `clear`)"))
    }
}

/// `workshop score` and `workshop weight`.
#[derive(Debug, Args)]
pub struct FactorValue {
    /// The workshop id.
    pub id: String,
    /// The aspect's id, e.g. whole-system.
    pub aspect: String,
    /// The factor's id, e.g. shared-understanding.
    pub factor: String,
    /// The value (score 1 to 5, weight 0 to 3); `clear` removes your vote.
    #[arg(allow_hyphen_values = true)]
    pub value: Vote,
}

/// `workshop agree`.
#[derive(Debug, Subcommand)]
pub enum Agree {
    /// A factor's agreed score (1 to 5, or `clear`).
    Score(FactorValue),
    /// A factor's agreed weight (0 to 3, or `clear`).
    Weight(FactorValue),
    /// An aspect's agreed quick score (1 to 5, or `clear`).
    Quick(Quick),
    /// An item's agreed impact (1 to 5, or `clear`).
    Impact(ItemValue),
}

/// `workshop note`.
#[derive(Debug, Args)]
pub struct Note {
    /// The workshop id.
    pub id: String,
    /// The aspect's id.
    pub aspect: String,
    /// The factor's id, or `-` for the aspect's own notes.
    pub factor: String,
    /// The text to append.
    pub text: String,
}

/// `workshop factor`.
#[derive(Debug, Subcommand)]
pub enum Factor {
    /// Add a factor to an aspect; prints its id.
    Add {
        /// The workshop id.
        id: String,
        /// The aspect's id.
        aspect: String,
        /// The factor's title.
        title: String,
    },
    /// Rename a factor.
    Rename {
        /// The workshop id.
        id: String,
        /// The aspect's id.
        aspect: String,
        /// The factor's id.
        factor: String,
        /// The new title.
        title: String,
    },
    /// Remove a factor (an editor may remove only one that holds no one else's votes).
    Remove {
        /// The workshop id.
        id: String,
        /// The aspect's id.
        aspect: String,
        /// The factor's id.
        factor: String,
    },
}

/// The response to an item.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Response {
    /// Remove a constraint.
    Remove,
    /// Boost an enabler.
    Boost,
    /// Influence it.
    Influence,
    /// Experiment.
    Experiment,
}

/// `workshop item`.
#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// Add a constraint or enabler; prints its id.
    Add {
        /// The workshop id.
        id: String,
        /// Constraint or enabler.
        #[arg(long, value_enum)]
        kind: ItemKind,
        /// The aspect it belongs to.
        #[arg(long)]
        aspect: Option<String>,
        /// How much is in the workshop's control.
        #[arg(long, value_enum)]
        control: Option<Control>,
        /// The response (left out: the tool suggests one from the control).
        #[arg(long, value_enum)]
        response: Option<Response>,
        /// What it is.
        #[arg(long)]
        title: String,
    },
}

/// `workshop impact` and `workshop dots`.
#[derive(Debug, Args)]
pub struct ItemValue {
    /// The workshop id.
    pub id: String,
    /// The item's id.
    pub item: String,
    /// The value (impact 1 to 5, dots 0 to 3); `clear` removes your vote.
    #[arg(allow_hyphen_values = true)]
    pub value: Vote,
}

/// `workshop action`.
#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an action; prints its id.
    Add {
        /// The workshop id.
        id: String,
        /// What is to be done.
        #[arg(long)]
        title: String,
        /// Who does it.
        #[arg(long)]
        owner: Option<String>,
        /// By when, YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
        /// Its status [default: proposed].
        #[arg(long, value_enum)]
        status: Option<ActionStatus>,
        /// The aspect it develops.
        #[arg(long)]
        aspect: Option<String>,
        /// A constraint or enabler it deals with (repeat for several).
        #[arg(long = "item")]
        items: Vec<String>,
    },
    /// Change an action; an empty value clears owner, due or aspect.
    Set {
        /// The workshop id.
        id: String,
        /// The action's id.
        action: String,
        /// New title.
        #[arg(long)]
        title: Option<String>,
        /// New owner.
        #[arg(long)]
        owner: Option<String>,
        /// New due date, YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
        /// New status.
        #[arg(long, value_enum)]
        status: Option<ActionStatus>,
        /// New aspect.
        #[arg(long)]
        aspect: Option<String>,
        /// Link a constraint or enabler (repeat for several).
        #[arg(long)]
        link: Vec<String>,
        /// Unlink a constraint or enabler (repeat for several).
        #[arg(long)]
        unlink: Vec<String>,
    },
}

/// `workshop hypothesis`.
#[derive(Debug, Subcommand)]
pub enum HypothesisCommand {
    /// Add a hypothesis; prints its id.
    Add {
        /// The workshop id.
        id: String,
        /// The statement to accept or refute.
        statement: String,
    },
    /// Change a hypothesis.
    Set {
        /// The workshop id.
        id: String,
        /// The hypothesis's id.
        hypothesis: String,
        /// New statement.
        #[arg(long)]
        statement: Option<String>,
        /// New status.
        #[arg(long, value_enum)]
        status: Option<HypothesisStatus>,
        /// Text to append to its evidence.
        #[arg(long)]
        evidence: Option<String>,
    },
}

/// A field of a gap analysis objective.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GapField {
    /// The strategic objective.
    Objective,
    /// The gap / service developments.
    Developments,
    /// The rationale.
    Rationale,
    /// The commissioning implications.
    Implications,
}

/// `workshop gap`.
#[derive(Debug, Subcommand)]
pub enum GapCommand {
    /// Add a strategic objective; prints its id.
    Add {
        /// The workshop id.
        id: String,
        /// The objective.
        objective: String,
    },
    /// Replace one field of an objective.
    Set {
        /// The workshop id.
        id: String,
        /// The objective's id.
        gap: String,
        /// Which field.
        #[arg(value_enum)]
        field: GapField,
        /// Its new text.
        text: String,
    },
}

/// `workshop select-approach`.
#[derive(Debug, Args)]
pub struct SelectApproach {
    /// The workshop id.
    pub id: String,
    /// The approach's id, e.g. market-management.
    pub approach: Option<String>,
}

/// `workshop results`.
#[derive(Debug, Args)]
pub struct ResultsArgs {
    /// The workshop id.
    pub id: String,
    /// Print the figures as JSON (the shape of the server's results).
    #[arg(long)]
    pub json: bool,
}

/// An export format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// An Excel workbook like the self-assessment tool.
    Xlsx,
    /// A Markdown write-up.
    Md,
    /// Every vote, one per row.
    Csv,
    /// The whole document.
    Json,
}

/// `workshop export`.
#[derive(Debug, Args)]
pub struct Export {
    /// The workshop id.
    pub id: String,
    /// The format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join_as(role: &str, world: &str) -> Result<(Role, World), clap::Error> {
        let cli = Cli::try_parse_from([
            "workshop",
            "join",
            "--server",
            "http://127.0.0.1:1",
            "ID",
            "--name",
            "Ann",
            "--role",
            role,
            "--world",
            world,
        ])?;
        match cli.command {
            Command::Join(join) => Ok((join.role, join.world)),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn roles_and_worlds_are_the_documents_spellings() {
        for role in Role::ALL {
            for world in World::ALL {
                assert_eq!(
                    join_as(role.as_str(), world.as_str()).expect("a valid role and world"),
                    (*role, *world)
                );
            }
        }
        // The dashed spelling of earlier versions still works.
        assert_eq!(
            join_as("user-carer", "customer").expect("an alias"),
            (Role::UserCarer, World::Customer)
        );
        for (role, world) in [
            ("mayor", "service"),
            ("provider", "mars"),
            ("Provider", "service"),
        ] {
            let error = join_as(role, world).expect_err("not a value of the document");
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::InvalidValue,
                "{error}"
            );
        }
    }

    #[test]
    fn item_and_status_values_are_the_documents_spellings() {
        for control in Control::ALL {
            let cli = Cli::try_parse_from([
                "workshop",
                "item",
                "add",
                "ID",
                "--kind",
                "enabler",
                "--aspect",
                "policy",
                "--control",
                control.as_str(),
                "--title",
                "T",
            ])
            .expect("a valid control");
            let Command::Item(ItemCommand::Add {
                control: parsed, ..
            }) = cli.command
            else {
                panic!("not an item");
            };
            assert_eq!(parsed, Some(*control));
            assert_eq!(doc_name(control), control.as_str());
        }
        for status in ActionStatus::ALL {
            assert_eq!(doc_name(status), status.as_str());
        }
        for status in HypothesisStatus::ALL {
            assert_eq!(doc_name(status), status.as_str());
        }
    }
}
