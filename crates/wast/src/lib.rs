//! Internal to Brisk: runs `.wast` scripts through the public `brisk` API.
//!
//! Every directive of a script counts once: `module`, `register`,
//! `invoke` and each `assert_*`. A directive passes when Brisk does what
//! the script expects; anything else (a wrong value, a missing trap, an
//! unexpected error, an unsupported directive) counts as a failure with a
//! message naming the line.

#![deny(missing_docs)]

mod spectest;
mod values;

use anyhow::{Context as _, Result, anyhow, bail};
use brisk::{Config, Engine, Extern, Instance, Linker, Module, Store, Trap, Val, WasmFeatures};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke};

/// The outcome of one script.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Directives that behaved as expected.
    pub passed: usize,
    /// Directives that did not, with a message each.
    pub failures: Vec<String>,
}

impl Report {
    /// Number of failed directives.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }

    /// Adds another report.
    pub fn merge(&mut self, other: Report) {
        self.passed += other.passed;
        self.failures.extend(other.failures);
    }
}

/// Runs scripts with one configuration. Each script gets a fresh store.
pub struct WastRunner {
    config: Config,
    /// Engines by feature set: most scripts share the configured one.
    engines: RefCell<HashMap<WasmFeatures, Engine>>,
    loading: Loading,
}

/// How a script's modules become [`Module`]s.
#[derive(Default)]
struct Loading {
    /// Binary modules that are artifacts are loaded as such.
    allow_precompiled: bool,
    /// Round trip: compile to an artifact file, then map it.
    round_trip: Option<ArtifactDir>,
    /// Artifacts written so far, for unique names.
    written: Cell<u64>,
    /// Replace every function's code once its module is instantiated.
    tier_up: bool,
}

/// Where round-trip artifacts go; removed at the end unless kept.
struct ArtifactDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for ArtifactDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl Loading {
    /// A module from a script's bytes, through an artifact file in
    /// round-trip mode. `script` names the file.
    #[allow(unsafe_code, reason = "loads artifacts this runner or the user's script supplies")]
    fn load(&self, engine: &Engine, script: &str, bytes: &[u8]) -> Result<Module> {
        if self.allow_precompiled && Engine::is_precompiled(bytes) {
            // SAFETY: the user asked to run a script embedding artifacts.
            return unsafe { Module::deserialize(engine, bytes) };
        }
        let Some(dir) = &self.round_trip else { return Module::new(engine, bytes) };
        let artifact = engine.precompile_module(bytes)?;
        let n = self.written.get();
        self.written.set(n + 1);
        let stem = Path::new(script).file_stem().and_then(|s| s.to_str()).unwrap_or("module");
        let path = dir.path.join(format!("{stem}-{n}.{}", brisk::ARTIFACT_EXTENSION));
        std::fs::write(&path, artifact).with_context(|| format!("failed to write {}", path.display()))?;
        // SAFETY: the file was just written from this engine's output and
        // nothing else writes it.
        let module = unsafe { Module::deserialize_file(engine, &path) };
        if !dir.keep {
            // The mapping keeps the contents alive after the name is gone.
            let _ = std::fs::remove_file(&path);
        }
        module
    }
}

struct State<'r> {
    loading: &'r Loading,
    script: &'r str,
    store: Store<()>,
    linker: Linker<()>,
    named: HashMap<String, Instance>,
    definitions: HashMap<String, Module>,
    current: Option<Instance>,
}

impl WastRunner {
    /// A runner whose modules are compiled with `config`.
    ///
    /// # Errors
    ///
    /// Fails if the configuration is not supported on this host.
    pub fn new(config: &Config) -> Result<Self> {
        let engine = Engine::new(config)?;
        let engines = HashMap::from([(config.enabled_wasm_features(), engine)]);
        Ok(WastRunner { config: config.clone(), engines: RefCell::new(engines), loading: Loading::default() })
    }

    /// Accept binary modules that are Brisk artifacts, as `brisk wast`
    /// does: such a module is loaded, not compiled.
    pub fn allow_precompiled(&mut self, allow: bool) {
        self.loading.allow_precompiled = allow;
    }

    /// Once a module is instantiated, replace the code of all its
    /// functions ([`Module::tier_up_all`]) before the next directive, so
    /// the script runs the replacement code from live funcrefs (the engine
    /// must have [`Config::tier_up`] on).
    pub fn tier_up_after_instantiation(&mut self, enable: bool) {
        self.loading.tier_up = enable;
    }

    /// Round-trip mode: every module is compiled to an artifact, written
    /// to a file and loaded with [`Module::deserialize_file`] before its
    /// directives run. Artifacts go to `keep_in` and stay there, or to a
    /// temporary folder removed as soon as each is mapped.
    ///
    /// # Errors
    ///
    /// Fails if the folder cannot be created.
    pub fn round_trip(&mut self, keep_in: Option<PathBuf>) -> Result<()> {
        let keep = keep_in.is_some();
        let path = keep_in.unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            std::env::temp_dir().join(format!("brisk-wast-{}-{nanos}", std::process::id()))
        });
        std::fs::create_dir_all(&path).with_context(|| format!("failed to create {}", path.display()))?;
        self.loading.round_trip = Some(ArtifactDir { path, keep });
        Ok(())
    }

    /// The engine for a script: the configured features, plus those the
    /// script's name says it needs. The spec repositories name the scripts
    /// that use several memories `*-multi.wast` (e.g. `simd_memory-multi.wast`),
    /// so those run with the multi-memory proposal enabled, as Wasmtime's
    /// harness derives features from a script's path.
    fn engine_for(&self, name: &str) -> Result<Engine> {
        let mut features = self.config.enabled_wasm_features();
        if name.ends_with("-multi.wast") {
            features |= WasmFeatures::MULTI_MEMORY;
        }
        if let Some(e) = self.engines.borrow().get(&features) {
            return Ok(e.clone());
        }
        let mut config = self.config.clone();
        config.wasm_features(features);
        let engine = Engine::new(&config)?;
        self.engines.borrow_mut().insert(features, engine.clone());
        Ok(engine)
    }

    /// Runs a script file.
    ///
    /// # Errors
    ///
    /// Fails only if the file cannot be read or parsed as a script; failing
    /// directives are reported in the [`Report`].
    pub fn run_file(&self, path: &Path) -> Result<Report> {
        let text = std::fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))?;
        self.run_script(&path.display().to_string(), &text)
    }

    /// Runs a script given as text; `name` is used in messages.
    ///
    /// # Errors
    ///
    /// Fails only if the text is not a script.
    pub fn run_script(&self, name: &str, text: &str) -> Result<Report> {
        let mut lexer = wast::lexer::Lexer::new(text);
        lexer.allow_confusing_unicode(true);
        let buf = ParseBuffer::new_with_lexer(lexer).map_err(|mut e| {
            e.set_text(text);
            anyhow!("{name}: {e}")
        })?;
        let script = parser::parse::<Wast>(&buf).map_err(|mut e| {
            e.set_text(text);
            anyhow!("{name}: {e}")
        })?;
        let engine = self.engine_for(name)?;
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        let mut store = Store::new(&engine, ());
        // Engines that count fuel or check epochs run scripts with budgets
        // no directive reaches, so the checks run but never fire.
        if store.get_fuel().is_ok() {
            store.set_fuel(u64::MAX)?;
        }
        store.set_epoch_deadline(u64::MAX / 2);
        spectest::define(&mut linker, &mut store)?;
        let mut state = State {
            loading: &self.loading,
            script: name,
            store,
            linker,
            named: HashMap::new(),
            definitions: HashMap::new(),
            current: None,
        };
        let mut report = Report::default();
        for directive in script.directives {
            let span = directive.span();
            let (line, _) = span.linecol_in(text);
            match state.directive(directive) {
                Ok(()) => report.passed += 1,
                Err(e) => report.failures.push(format!("{name}:{}: {e:#}", line + 1)),
            }
        }
        Ok(report)
    }
}

fn encode(module: &mut QuoteWat<'_>) -> Result<Vec<u8>> {
    Ok(module.encode()?)
}

impl State<'_> {
    fn load(&self, bytes: &[u8]) -> Result<Module> {
        self.loading.load(self.store.engine(), self.script, bytes)
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Result<()> {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|n| n.name().to_string());
                let bytes = encode(&mut module)?;
                let m = self.load(&bytes)?;
                let instance = self.linker.instantiate(&mut self.store, &m)?;
                if self.loading.tier_up {
                    m.tier_up_all()?;
                }
                if let Some(name) = name {
                    self.named.insert(name, instance);
                }
                self.current = Some(instance);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|n| n.name().to_string());
                let bytes = encode(&mut module)?;
                let m = self.load(&bytes)?;
                if let Some(name) = name {
                    self.definitions.insert(name, m);
                }
                Ok(())
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let m = module
                    .and_then(|m| self.definitions.get(m.name()))
                    .ok_or_else(|| anyhow!("unknown module definition"))?
                    .clone();
                let i = self.linker.instantiate(&mut self.store, &m)?;
                if let Some(name) = instance {
                    self.named.insert(name.name().to_string(), i);
                }
                self.current = Some(i);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module.map(|m| m.name()))?;
                self.linker.instance(&mut self.store, name, instance)?;
                Ok(())
            }
            WastDirective::Invoke(invoke) => {
                self.invoke(&invoke)?;
                Ok(())
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let actual = self.execute(exec)?;
                values::check_results(&mut self.store, &actual, &results)
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Ok(values) => bail!("expected trap `{message}`, got {values:?}"),
                Err(e) => expect_trap(&e, message),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(values) => bail!("expected exhaustion `{message}`, got {values:?}"),
                Err(e) => expect_trap(&e, message),
            },
            WastDirective::AssertInvalid { mut module, message, .. }
            | WastDirective::AssertMalformed { mut module, message, .. } => {
                let bytes = match module.to_test() {
                    Err(_) => return Ok(()),
                    Ok(QuoteWatTest::Binary(b)) => b,
                    Ok(QuoteWatTest::Text(t)) => match std::str::from_utf8(&t).ok().map(wat::parse_str) {
                        Some(Ok(b)) => b,
                        _ => return Ok(()),
                    },
                };
                match Module::new(self.store.engine(), &bytes) {
                    Ok(_) => bail!("expected an invalid or malformed module (`{message}`), but it compiled"),
                    Err(e) if e.downcast_ref::<brisk::WasmError>().is_some_and(is_unsupported) => {
                        bail!("module rejected as unsupported, not as `{message}`: {e:#}")
                    }
                    Err(_) => Ok(()),
                }
            }
            WastDirective::AssertUnlinkable { module, message, .. } => {
                let mut module = QuoteWat::Wat(module);
                let bytes = encode(&mut module)?;
                let m = self.load(&bytes)?;
                match self.linker.instantiate(&mut self.store, &m) {
                    Ok(_) => bail!("expected unlinkable module (`{message}`), but it instantiated"),
                    Err(e) if e.downcast_ref::<Trap>().is_some() => bail!("expected link error, got trap: {e:#}"),
                    Err(_) => Ok(()),
                }
            }
            other => bail!("unsupported directive {:?}", std::mem::discriminant(&other)),
        }
    }

    fn instance(&self, name: Option<&str>) -> Result<Instance> {
        match name {
            Some(n) => self.named.get(n).copied().ok_or_else(|| anyhow!("no module named `{n}`")),
            None => self.current.ok_or_else(|| anyhow!("no current module")),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>> {
        let instance = self.instance(invoke.module.map(|m| m.name()))?;
        let func = instance
            .get_func(&mut self.store, invoke.name)
            .ok_or_else(|| anyhow!("no exported function `{}`", invoke.name))?;
        let args = invoke
            .args
            .iter()
            .map(|a| match a {
                WastArg::Core(core) => values::arg(&mut self.store, core),
                #[allow(unreachable_patterns, reason = "component values exist only with that feature")]
                _ => bail!("unsupported argument"),
            })
            .collect::<Result<Vec<_>>>()?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> =
            ty.results.iter().map(|t| Val::default_for(*t).unwrap_or(Val::FuncRef(None))).collect();
        func.call(&mut self.store, &args, &mut results)?;
        Ok(results)
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(module) => {
                let mut module = QuoteWat::Wat(module);
                let bytes = encode(&mut module)?;
                let m = self.load(&bytes)?;
                self.linker.instantiate(&mut self.store, &m)?;
                Ok(Vec::new())
            }
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module.map(|m| m.name()))?;
                match instance.get_export(&mut self.store, global) {
                    Some(Extern::Global(g)) => Ok(vec![g.get(&mut self.store)]),
                    _ => bail!("no exported global `{global}`"),
                }
            }
        }
    }
}

fn is_unsupported(e: &brisk::WasmError) -> bool {
    matches!(e, brisk::WasmError::Unsupported { .. })
}

fn expect_trap(e: &anyhow::Error, message: &str) -> Result<()> {
    match e.downcast_ref::<Trap>() {
        Some(trap) if trap.message().contains(message) || message.contains(trap.message()) => Ok(()),
        Some(trap) => bail!("expected trap `{message}`, got `{}`", trap.message()),
        None => bail!("expected trap `{message}`, got error: {e:#}"),
    }
}
