//! The OpenAPI 3.1 description of the HTTP API, served at `GET /api/openapi.json`.
//!
//! It is made from the code: each handler's `#[utoipa::path]` names its method, path,
//! parameters, body and every answer it can give; the bodies derive `ToSchema` (the results
//! through `workshop_shared`'s `openapi` feature). The router is built from the same
//! declarations ([`super::routes`]), so no route is served undocumented or documented unserved.
//!
//! This file holds what the handlers share: the security schemes (a bearer token, or `?token=`
//! as y-websocket sends it), the error answers as reusable responses (each naming the codes it
//! may carry, so a client knows which `error` to expect under which status), the document's
//! title, version, licence and description, and the handler that serves it.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::info::{InfoBuilder, LicenseBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Description, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToResponse};

use super::error::{ErrorBody, ErrorCode};

/// Where the description is served.
pub const PATH: &str = "/api/openapi.json";

/// Name of the security scheme `Authorization: Bearer <token>`.
pub const BEARER: &str = "bearer";
/// Name of the security scheme `?token=<token>`.
pub const TOKEN_QUERY: &str = "token";

/// Tag of the workshop routes.
pub const TAG_WORKSHOPS: &str = "workshops";
/// Tag of the token and participant routes.
pub const TAG_ACCESS: &str = "access";
/// Tag of the live document (WebSocket).
pub const TAG_SYNC: &str = "sync";
/// Tag of the browser page's files.
pub const TAG_PAGE: &str = "page";
/// Tag of what operators read: health, readiness, metrics, this description.
pub const TAG_OPERATIONS: &str = "operations";

/// What the document says of the API as a whole.
const DESCRIPTION: &str = "\
The HTTP API of the strengths-based commissioning workshop server: create a workshop, read \
its computed figures, document and exports, manage its tokens and register its participants. \
The document itself is edited live over the WebSocket at `/ws/{id}` (y-sync).

Every workshop is reached with a token: `Authorization: Bearer <token>` or `?token=<token>`. \
Creating a workshop returns one invite token per role (facilitator, editor, viewer); a token \
grants access to its one workshop only.

Every error is JSON `{\"error\": \"<code>\", \"message\": \"<plain English>\"}`, the code one of \
the `ErrorCode` schema's. On every path, a method the path does not list is answered \
`405 method_not_allowed` (the `MethodNotAllowed` response), and a path that is not listed \
`404 not_found` (the `NoRoute` response). On every route a query string over 2048 bytes or a \
token over 256 bytes is answered `400 bad_request`.";

/// The parts of the description that belong to no one route.
#[derive(OpenApi)]
#[openapi(
    components(
        schemas(ErrorBody),
        responses(
            BadRequest,
            InvalidId,
            Unauthorized,
            Forbidden,
            WorkshopNotFound,
            TokenNotFound,
            NoRoute,
            MethodNotAllowed,
            TooManyParticipants,
            TooManyCreations,
            Internal,
            ServerBusy,
            NotReady,
        )
    ),
    modifiers(&Security),
    tags(
        (name = TAG_WORKSHOPS,
            description = "Workshops: create, list, their figures, document and exports."),
        (name = TAG_ACCESS, description = "A workshop's tokens and participants."),
        (name = TAG_SYNC, description = "The live document: y-sync over a WebSocket."),
        (name = TAG_PAGE, description = "The browser page: the lobby, a workshop, its files."),
        (name = TAG_OPERATIONS, description = "Health, readiness, metrics and this description."),
    )
)]
struct Shared;

/// The description's shared parts, routes not included: what [`super::routes`] starts from.
pub fn base() -> Description {
    let mut description = Shared::openapi();
    description.info = InfoBuilder::new()
        .title("Strengths-based commissioning workshop server")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(DESCRIPTION))
        .license(Some(
            LicenseBuilder::new()
                .name(env!("CARGO_PKG_LICENSE"))
                .identifier(Some(env!("CARGO_PKG_LICENSE")))
                .build(),
        ))
        .build();
    description
}

/// The whole description, made once.
pub fn description() -> &'static Description {
    static DESCRIPTION: OnceLock<Description> = OnceLock::new();
    DESCRIPTION.get_or_init(|| super::routes().split_for_parts().1)
}

/// The description as JSON, made once.
fn description_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        serde_json::to_string(description()).unwrap_or_else(|error| {
            // The description is plain data; this cannot fail, but must not panic either.
            tracing::error!(%error, "the OpenAPI description does not serialise");
            "{}".to_owned()
        })
    })
}

/// `GET /api/openapi.json`: this description. It holds no workshop data, so it needs no token.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = TAG_OPERATIONS,
    summary = "This description of the API (OpenAPI 3.1)",
    responses(
        (status = 200, description = "The OpenAPI 3.1 description of this API.",
            body = inline(Object), content_type = "application/json"),
        (status = 400, response = BadRequest),
    )
)]
pub async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        description_json(),
    )
}

/// Adds the two ways of presenting a token.
struct Security;

impl Modify for Security {
    fn modify(&self, description: &mut Description) {
        let components = description.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A workshop's token (or the server's create token) as \
                         `Authorization: Bearer <token>`. Several headers present several \
                         tokens.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            TOKEN_QUERY,
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "A token as the query parameter `token`, as y-websocket's `params` option \
                 sends it; it may be repeated to present several tokens. Prefer the header \
                 where a client can set one: query strings end up in more logs.",
            ))),
        );
    }
}

/// An error answer carrying one of `codes`, which all share one status.
fn error_response(description: &str, codes: &[ErrorCode]) -> ResponseBuilder {
    let codes: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("Error"))
        .item(
            ObjectBuilder::new().property(
                "error",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(codes)),
            ),
        );
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(schema)).build(),
    )
}

/// Declares a reusable error response: its name, description and codes.
macro_rules! error_responses {
    ($(
        $(#[$doc:meta])* $name:ident ($($code:ident),+) $description:literal $(+ $extra:expr)?;
    )+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    let response = error_response($description, &[$(ErrorCode::$code),+]);
                    $(let response = $extra(response);)?
                    (stringify!($name), response.build().into())
                }
            }
        )+
    };
}

error_responses! {
    /// 400 `bad_request`, on a route without a workshop id.
    BadRequest(BadRequest)
        "`bad_request`: a missing or malformed body, a body over 64 KiB, a field empty or \
         too long, an unknown role or world, a query string over 2048 bytes or a token over \
         256 bytes; on `/ws/{id}`, a request that is no WebSocket upgrade.";
    /// 400 `invalid_id` or `bad_request`, on a route with a workshop id.
    InvalidId(InvalidId, BadRequest)
        "`invalid_id`: the workshop id is not a UUID; or `bad_request`: a missing or malformed \
         body, a body over 64 KiB, a field empty or too long, an unknown role or world, a \
         query string over 2048 bytes or a token over 256 bytes.";
    /// 401 `unauthorized`.
    Unauthorized(Unauthorized)
        "`unauthorized`: no token was presented. `WWW-Authenticate: Bearer` names the scheme."
        + with_header("WWW-Authenticate", "`Bearer`.");
    /// 403 `forbidden`.
    Forbidden(Forbidden)
        "`forbidden`: the token is unknown, of another workshop or revoked, or its role or \
         kind may not do this.";
    /// 404 `not_found`: the workshop.
    WorkshopNotFound(NotFound)
        "`not_found`: no workshop has this id (its token outlived it).";
    /// 404 `not_found`: the token.
    TokenNotFound(NotFound)
        "`not_found`: the workshop has no token with this id.";
    /// 404 `not_found`: the path.
    NoRoute(NotFound)
        "`not_found`: no route or file has this path.";
    /// 405 `method_not_allowed`, on every path for every method it does not list.
    MethodNotAllowed(MethodNotAllowed)
        "`method_not_allowed`: the path exists, but not for this method.";
    /// 409 `too_many_participants`.
    TooManyParticipants(TooManyParticipants)
        "`too_many_participants`: the workshop already has `--max-participants-per-workshop` \
         participants; nothing was written.";
    /// 429 `too_many_creations`.
    TooManyCreations(TooManyCreations)
        "`too_many_creations`: this address created `--max-creations-per-address-per-minute` \
         workshops in the last minute. `Retry-After` says in how many seconds it may again."
        + with_header("Retry-After", "Seconds until this address may create a workshop again.");
    /// 500 `internal`.
    Internal(Internal)
        "`internal`: something failed on the server's side (the detail is in its log).";
    /// 503 `server_busy`.
    ServerBusy(ServerBusy)
        "`server_busy`: the server has `--max-loaded-workshops` workshops loaded and every one \
         is in use; try again later.";
    /// 503 `not_ready`.
    NotReady(NotReady)
        "`not_ready`: the server is shutting down, or its store cannot be read.";
}

/// Adds a string header to a response.
fn with_header(
    name: &'static str,
    description: &'static str,
) -> impl FnOnce(ResponseBuilder) -> ResponseBuilder {
    move |response| {
        response.header(
            name,
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(description))
                .build(),
        )
    }
}
