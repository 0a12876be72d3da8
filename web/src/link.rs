//! Share links in the app, through the core's `share` (core/src/share.rs): the link of the
//! session (its program — a catalog scenario by name, an edit of one as source, or a loaded
//! binary — model, step, the shown panel and the memory address), and opening a link from the
//! page's URL fragment into a session. A link that cannot be opened is an error naming what is
//! wrong; the caller then opens the default session (nothing of it is touched before).
use crate::outcome::sc_program;
use crate::state::Session;
use nestscope_core::Model;
use nestscope_core::scenario::Scenario;
use nestscope_core::share::{LinkProgram, MAX_LINK_CHARS, ShareLink};
use std::rc::Rc;

/// The panels a link can select: (view name of the link, tab group, tab index). The group is 0
/// for the upper tabs (Registers …) and 1 for the lower ones (Scenario …); "events" is the
/// world-switch list, always shown.
pub const VIEW_TABS: [(&str, usize, usize); 5] =
    [("registers", 0, 0), ("vmcb", 0, 1), ("memory", 0, 2), ("pat", 0, 4), ("console", 1, 1)];

/// The link's view for the shown tabs (upper first: it is the machine-state panel).
pub fn view_of(upper: usize, lower: usize) -> Option<&'static str> {
    VIEW_TABS.iter().find(|v| v.1 == 0 && v.2 == upper).or_else(|| VIEW_TABS.iter().find(|v| v.1 == 1 && v.2 == lower)).map(|v| v.0)
}

/// What the Share button made.
#[derive(Clone, Debug, PartialEq)]
pub enum Shared {
    /// A link, its length in bytes, and a caveat when it may not reproduce the state exactly.
    Link { url: String, bytes: usize, caveat: Option<String> },
    /// Too long for a link (`chars` characters): the checkpoint file keeps the state instead.
    TooBig { chars: usize },
}

/// The link of the session now.
pub fn link_of(s: &Session, view: Option<&str>, address: Option<u64>) -> ShareLink {
    let sc = s.scenario();
    let (model, step) = (s.model.to_string(), s.sim().machine().steps);
    let mut l = match &s.assembled {
        Some(a) if a.0.bytes == *s.program => ShareLink::for_edit(&sc.name, &a.1, &model, step),
        _ if sc_program(sc).is_some_and(|p| p == *s.program) => ShareLink::for_edit(&sc.name, &sc.source, &model, step),
        _ => ShareLink::for_binary(&s.program, &model, step),
    };
    l.mem_mib = s.mem_mib;
    l.view = view.map(str::to_string);
    l.address = address;
    l
}

/// The page's address without query and fragment (where links point).
pub fn page_base() -> String {
    web_sys::window()
        .and_then(|w| Some(format!("{}{}", w.location().origin().ok()?, w.location().pathname().ok()?)))
        .unwrap_or_default()
}

/// The Share button's result for the session: the link (checked to open again), or too big.
pub fn share(s: &Session, view: Option<&str>, address: Option<u64>, base: &str) -> Shared {
    let frag = link_of(s, view, address).encode();
    let url = format!("{base}{frag}");
    if url.len() > MAX_LINK_CHARS || ShareLink::decode(&url).is_err() {
        return Shared::TooBig { chars: url.len() };
    }
    let caveat = (s.run.borrow().first_steps() > 0).then(|| {
        "this run began from an imported checkpoint: the link replays the program from its start, which \
         reaches the same state only if the checkpoint came from a plain run — the checkpoint file keeps it exactly"
            .to_string()
    });
    Shared::Link { bytes: url.len(), url, caveat }
}

/// The fragment the page URL keeps for the session: the link of its place when it runs a
/// program that came from a link and is not a catalog scenario's own (the query names those).
pub fn url_fragment(s: &Session) -> Option<String> {
    if !s.linked || s.catalog_program {
        return None;
    }
    let frag = link_of(s, None, None).encode();
    (frag.len() <= MAX_LINK_CHARS).then_some(frag)
}

/// A link that was opened: what the banner says, and the view it selects.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    pub bytes: usize,
    pub model: Model,
    pub step: u64,
    /// The program: "scenario NAME", "an edit of scenario NAME", "a program (source)", "a binary".
    pub program: String,
    pub view: Option<String>,
    pub address: Option<u64>,
}

impl Opened {
    pub fn banner(&self) -> String {
        format!("opened from a shared link ({} bytes, model {}, step {}): {}", self.bytes, self.model, self.step, self.program)
    }
}

/// Opens `link` (a whole URL or its fragment) into a session at the run's start; the caller then
/// goes to `Opened::step`. Nothing is opened on error (the message names what is wrong).
pub fn open(scenarios: Rc<Vec<Scenario>>, link: &str) -> Result<(Session, Opened), String> {
    let l = ShareLink::decode(link).map_err(|e| e.to_string())?;
    // Assembles or decodes the program first: an error here is the link's, named as such.
    let (bytes, _, _) = l.setup().map_err(|e| e.to_string())?;
    let model: Model = l.model.parse().map_err(|e| format!("the share link is not valid: model: {e}"))?;
    let index_of = |n: &str| scenarios.iter().position(|s| s.name == n);
    let (index, source, program) = match &l.program {
        LinkProgram::Catalog(n) => {
            let i = index_of(n).ok_or_else(|| format!("the share link is not valid: program: no scenario `{n}` in this build"))?;
            (i, Some(scenarios[i].source.clone()), format!("scenario {n}"))
        }
        LinkProgram::Source(src) => match l.scenario.as_deref().and_then(index_of) {
            Some(i) => (i, Some(src.clone()), format!("an edit of scenario {}", scenarios[i].name)),
            None => (0, Some(src.clone()), "a program (source)".to_string()),
        },
        LinkProgram::Binary(_) => (0, None, format!("a binary program of {} bytes", bytes.len())),
    };
    let mut s = Session::open(scenarios, index, Some(model));
    s.model = model;
    // A link carries no save/restore: the run is the plain one the CLI's `exec --link` replays.
    s.migrate = None;
    s.mem_mib = l.mem_mib;
    match source {
        Some(src) => {
            s.edited = src != s.scenario().source;
            s.source = src;
            s.assemble_and_load();
            if !s.asm_errors.is_empty() {
                return Err(format!("the share link's program does not assemble: {}", s.asm_errors[0].message));
            }
        }
        None => {
            s.catalog_program = sc_program(s.scenario()).is_some_and(|p| p == bytes);
            s.program = Rc::new(bytes);
            s.program_gen += 1;
            s.assembled = None;
            s.reload();
        }
    }
    if let crate::state::Status::Error(e) = &s.status {
        return Err(format!("the share link's program does not load: {e}"));
    }
    s.linked = true;
    let opened = Opened { bytes: link.trim().len(), model, step: l.step, program, view: l.view.clone(), address: l.address };
    Ok((s, opened))
}
