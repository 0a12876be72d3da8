//! Share links: a run's program (a catalog scenario by name, or the full source, or the binary),
//! model, step and the view, in a URL fragment `#ns1.<base64url(zlib(JSON))>`. "ns" + the
//! format version opens it; the zlib checksum catches damage; every size is bounded before any
//! work (link length, inflated size, source size) and every value validated, so a damaged,
//! truncated, foreign or oversized link is a one-line error, never a panic.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The share-link format version (the digits after "ns").
pub const SHARE_VERSION: u32 = 1;
/// Longest link accepted (characters of the fragment); browsers and chat tools cut near 64 K.
pub const MAX_LINK_CHARS: usize = 60_000;
/// Largest inflated payload accepted (no decompression bomb).
pub const MAX_PAYLOAD_BYTES: usize = 1 << 20;
/// Largest step a link may ask for (the CLI's default budget).
pub const MAX_STEP: u64 = 50_000_000;
/// The views a link may select (the web app's panels).
pub const VIEWS: [&str; 6] = ["registers", "vmcb", "memory", "events", "pat", "console"];

/// Where a link's program comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum LinkProgram {
    /// A catalog scenario, by file stem (its source and machine section).
    Catalog(String),
    /// Assembly source in the project's NASM syntax.
    Source(String),
    /// A flat binary, base64url.
    Binary(String),
}

/// What a share link carries (the persisted record; the JSON inside the fragment).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareLink {
    pub program: LinkProgram,
    pub model: String,
    pub step: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_mib: Option<u64>,
    /// The selected panel (one of [`VIEWS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// The address the memory view shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<u64>,
    /// The catalog scenario a [`LinkProgram::Source`] edits: its machine section (RAM, L0's PAT)
    /// applies, and the web app opens the edit in that scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
}

/// Why a link cannot be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareError {
    NotALink,
    TooLong { chars: usize },
    Version(String),
    BadEncoding,
    Damaged,
    TooLarge,
    BadContent(String),
    Invalid(String),
}

impl std::fmt::Display for ShareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareError::NotALink => write!(f, "not a nestscope share link (expected a fragment `#ns{SHARE_VERSION}.…`)"),
            ShareError::TooLong { chars } => write!(f, "the share link is {chars} characters long (at most {MAX_LINK_CHARS})"),
            ShareError::Version(v) => write!(f, "share link version `{v}` is not supported (this build reads version {SHARE_VERSION})"),
            ShareError::BadEncoding => write!(f, "the share link is damaged (characters outside base64url)"),
            ShareError::Damaged => write!(f, "the share link is damaged or truncated (its checksum does not match)"),
            ShareError::TooLarge => write!(f, "the share link inflates to more than {MAX_PAYLOAD_BYTES} bytes"),
            ShareError::BadContent(e) => write!(f, "the share link's content is not valid: {e}"),
            ShareError::Invalid(e) => write!(f, "the share link is not valid: {e}"),
        }
    }
}

fn shown(s: &str) -> String {
    s.chars().take(60).collect::<String>().escape_default().to_string()
}

impl ShareLink {
    /// The fragment, starting with `#`.
    #[allow(clippy::expect_used, reason = "a plain derived record (string keys only) always serializes")]
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a share link serializes");
        let z = miniz_oxide::deflate::compress_to_vec_zlib(&json, 9);
        format!("#ns{SHARE_VERSION}.{}", URL_SAFE_NO_PAD.encode(z))
    }

    /// Decodes a whole URL or its fragment (with or without `#`), and validates it.
    pub fn decode(link: &str) -> Result<ShareLink, ShareError> {
        let link = link.trim();
        if link.len() > MAX_LINK_CHARS {
            return Err(ShareError::TooLong { chars: link.chars().count() });
        }
        let frag = match link.rfind('#') {
            Some(i) => &link[i + 1..],
            None => link,
        };
        let rest = frag.strip_prefix("ns").ok_or(ShareError::NotALink)?;
        let (version, body) = rest.split_once('.').ok_or(ShareError::NotALink)?;
        if version != SHARE_VERSION.to_string() {
            return Err(if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
                ShareError::NotALink
            } else {
                ShareError::Version(shown(version))
            });
        }
        // A byte outside the alphabet is a bad character; a length or last symbol that cannot
        // end base64 is a cut link.
        let z = URL_SAFE_NO_PAD.decode(body).map_err(|e| match e {
            base64::DecodeError::InvalidByte(..) => ShareError::BadEncoding,
            _ => ShareError::Damaged,
        })?;
        let json = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&z, MAX_PAYLOAD_BYTES).map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ShareError::TooLarge,
            _ => ShareError::Damaged,
        })?;
        let l: ShareLink = serde_json::from_slice(&json).map_err(|e| ShareError::BadContent(shown(&e.to_string())))?;
        l.validate()?;
        Ok(l)
    }

    fn validate(&self) -> Result<(), ShareError> {
        let bad = |m: String| Err(ShareError::Invalid(m));
        if self.model.parse::<crate::model::Model>().is_err() {
            return bad(format!("model: unknown model `{}`", shown(&self.model)));
        }
        if self.step > MAX_STEP {
            return bad(format!("step: {} is above {MAX_STEP}", self.step));
        }
        if let Some(v) = &self.view
            && !VIEWS.contains(&v.as_str()) {
                return bad(format!("view: unknown view `{}` (views: {})", shown(v), VIEWS.join(", ")));
            }
        if let Some(m) = self.mem_mib
            && !(2..=4096).contains(&m) {
                return bad(format!("mem_mib: {m} is out of range (2..=4096)"));
            }
        if let Some(n) = &self.scenario
            && crate::scenario::catalog::get(n).is_none()
        {
            return bad(format!("scenario: no catalog scenario `{}`", shown(n)));
        }
        match &self.program {
            LinkProgram::Catalog(n) if crate::scenario::catalog::get(n).is_none() => {
                bad(format!("program: no catalog scenario `{}`", shown(n)))
            }
            LinkProgram::Binary(b) if URL_SAFE_NO_PAD.decode(b).map_or(true, |v| v.is_empty()) => {
                bad("program: the binary is empty or not base64url".into())
            }
            LinkProgram::Source(s) if s.trim().is_empty() => bad("program: the source is empty".into()),
            _ => Ok(()),
        }
    }

    /// A link for `source`: by catalog name when it is a catalog scenario's source unchanged.
    pub fn for_source(source: &str, model: &str, step: u64) -> ShareLink {
        let program = match crate::scenario::catalog::load().ok().and_then(|c| c.into_iter().find(|s| s.source == source)) {
            Some(s) => LinkProgram::Catalog(s.name),
            None => LinkProgram::Source(source.to_string()),
        };
        ShareLink { program, model: model.to_string(), step, mem_mib: None, view: None, address: None, scenario: None }
    }

    /// A link for `source` as an edit of catalog scenario `scenario` (by name alone when the
    /// source is that scenario's, unchanged).
    pub fn for_edit(scenario: &str, source: &str, model: &str, step: u64) -> ShareLink {
        let own = crate::scenario::catalog::get(scenario).and_then(|s| s.ok()).is_some_and(|s| s.source == source);
        let mut l = ShareLink::for_source(source, model, step);
        if own {
            l.program = LinkProgram::Catalog(scenario.to_string());
        } else if matches!(l.program, LinkProgram::Source(_)) {
            l.scenario = Some(scenario.to_string());
        }
        l
    }

    /// A link for a flat binary.
    pub fn for_binary(bin: &[u8], model: &str, step: u64) -> ShareLink {
        let program = LinkProgram::Binary(URL_SAFE_NO_PAD.encode(bin));
        ShareLink { program, model: model.to_string(), step, mem_mib: None, view: None, address: None, scenario: None }
    }

    /// The program image, the RAM size and L0's configuration the link's run starts from.
    pub fn setup(&self) -> Result<(Vec<u8>, u64, crate::hv::L0Config), ShareError> {
        use crate::scenario::run as srun;
        let err = |e: String| ShareError::Invalid(format!("program: {}", shown(&e)));
        let (bytes, cfg) = match &self.program {
            LinkProgram::Catalog(n) => {
                let s = crate::scenario::catalog::get(n).ok_or_else(|| err(format!("no catalog scenario `{n}`")))?.map_err(|e| err(e.to_string()))?;
                (srun::assemble(&s.source).map_err(|e| err(e.0))?, s.machine)
            }
            LinkProgram::Source(src) => {
                let cfg = match &self.scenario {
                    Some(n) => crate::scenario::catalog::get(n).ok_or_else(|| err(format!("no catalog scenario `{n}`")))?.map_err(|e| err(e.to_string()))?.machine,
                    None => Default::default(),
                };
                (srun::assemble(src).map_err(|e| err(e.0))?, cfg)
            }
            LinkProgram::Binary(b) => (URL_SAFE_NO_PAD.decode(b).map_err(|_| err("not base64url".into()))?, Default::default()),
        };
        let l0 = srun::l0_config(&cfg).map_err(|e| err(e.0))?;
        Ok((bytes, self.mem_mib.unwrap_or(cfg.mem_mib), l0))
    }
}

#[cfg(test)]
#[path = "share_tests.rs"]
mod tests;
