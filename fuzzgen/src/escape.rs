//! The `offheap_escape` target: a random legal program over value slots, wasm globals and
//! references, then one random mutation that lets an address or a reference escape (or
//! forges one). The verifier must accept every original and reject every mutant with the
//! mutation's rule.

use arbitrary::{Result, Unstructured};
use cranelift_offheap::{text, verify, Rule};
use std::fmt::Write;

/// A place of the generated function: its address value and its type.
#[derive(Clone, Copy)]
struct Place {
    addr: u32,
    ty: &'static str,
    mutable: bool,
}

/// A legal program, and what a mutation can draw on.
struct Legal {
    head: String,
    body: String,
    tail: String,
    next: u32,
    places: Vec<Place>,
    /// Reference values (value, "externref"/"funcref") available at the mutation point.
    refs: Vec<(u32, &'static str)>,
    /// Address of an addressable (linear-memory) slot.
    memory_slot: u32,
    /// Integer values available.
    ints: Vec<(u32, &'static str)>,
}

const SCALARS: [&str; 4] = ["i32", "i64", "f32", "f64"];

fn legal(u: &mut Unstructured) -> Result<Legal> {
    let mut head = String::new();
    let globals: Vec<(&str, bool)> = vec![
        ("i64", true),
        ("i32", false),
        ("externref", true),
        ("funcref", true),
        (*u.choose(&SCALARS)?, u.ratio(1, 2)?),
    ];
    for (i, (t, m)) in globals.iter().enumerate() {
        let m = if *m { " mut" } else { "" };
        writeln!(head, "global %g{i}: {t}{m}").unwrap();
    }
    head.push_str("\nfunction %f(i64, externref, funcref, i32) -> externref, i64 {\n    ss0 = explicit_slot 16\n");
    let slot_types: Vec<&str> = (0..u.int_in_range(1..=4)?)
        .map(|_| {
            u.choose(&["i32", "i64", "f32", "f64", "externref", "funcref"])
                .copied()
        })
        .collect::<Result<_>>()?;
    for (i, t) in slot_types.iter().enumerate() {
        writeln!(head, "    ss{} = value_slot {t}", i + 1).unwrap();
    }
    for i in 0..globals.len() {
        writeln!(head, "    gv{i} = wasm_global %g{i}").unwrap();
    }
    head.push_str("    fn0 = %sink_i64(i64)\n    fn1 = %sink_i32(i32)\n    fn2 = %use_ref(externref)\n    fn3 = %__wasm_ref_null_extern() -> externref\n    fn4 = %make_ref() -> externref\n");
    head.push_str("\nblock0(v0: i64, v1: externref, v2: funcref, v3: i32):\n");
    let mut l = Legal {
        head,
        body: String::new(),
        tail: String::new(),
        next: 4,
        places: Vec::new(),
        refs: vec![(1, "externref"), (2, "funcref")],
        memory_slot: 0,
        ints: vec![(0, "i64"), (3, "i32")],
    };
    l.memory_slot = l.def("stack_addr.i64 ss0");
    for (i, t) in slot_types.iter().enumerate() {
        let addr = l.def(&format!("stack_addr.i64 ss{}", i + 1));
        l.places.push(Place {
            addr,
            ty: t,
            mutable: true,
        });
    }
    for (i, (t, m)) in globals.iter().enumerate() {
        let addr = l.def(&format!("symbol_value.i64 gv{i}"));
        l.places.push(Place {
            addr,
            ty: t,
            mutable: *m,
        });
    }
    for _ in 0..u.int_in_range(0..=16)? {
        l.legal_op(u)?;
    }
    let ext: Vec<u32> = l
        .refs
        .iter()
        .filter(|r| r.1 == "externref")
        .map(|r| r.0)
        .collect();
    let r = *u.choose(&ext)?;
    let i = l.int_of(u, "i64")?;
    writeln!(l.tail, "    jump block1(v{r}, v{i})\n\nblock1(v9990: externref, v9991: i64):\n    call fn2(v9990)\n    return v9990, v9991\n}}").unwrap();
    Ok(l)
}

impl Legal {
    fn def(&mut self, rhs: &str) -> u32 {
        let v = self.next;
        self.next += 1;
        writeln!(self.body, "    v{v} = {rhs}").unwrap();
        v
    }

    fn int_of(&mut self, u: &mut Unstructured, ty: &'static str) -> Result<u32> {
        let have: Vec<u32> = self
            .ints
            .iter()
            .filter(|i| i.1 == ty)
            .map(|i| i.0)
            .collect();
        if !have.is_empty() && u.ratio(3, 4)? {
            return Ok(*u.choose(&have)?);
        }
        let c = match ty {
            "f32" => "f32const 0x1.0p0".to_string(),
            "f64" => "f64const 0x1.0p0".to_string(),
            _ => format!("iconst.{ty} {}", u.int_in_range(0..=100)?),
        };
        let v = self.def(&c);
        self.ints.push((v, ty));
        Ok(v)
    }

    fn legal_op(&mut self, u: &mut Unstructured) -> Result<()> {
        let place = *u.choose(&self.places)?;
        let is_ref = place.ty.ends_with("ref");
        match u.int_in_range(0..=6)? {
            0 | 1 if place.mutable => {
                // Store a value of exactly the place's type.
                let v = if is_ref {
                    let rs: Vec<u32> = self
                        .refs
                        .iter()
                        .filter(|r| r.1 == place.ty)
                        .map(|r| r.0)
                        .collect();
                    *u.choose(&rs)?
                } else {
                    self.int_of(u, place.ty)?
                };
                let flags = *u.choose(&["", " notrap", " notrap aligned", " little"])?;
                writeln!(self.body, "    store{flags} v{v}, v{}", place.addr).unwrap();
            }
            2 | 3 => {
                let v = self.def(&format!(
                    "load.{} v{}",
                    if is_ref { "i32" } else { place.ty },
                    place.addr
                ));
                if is_ref {
                    self.refs.push((
                        v,
                        if place.ty == "externref" {
                            "externref"
                        } else {
                            "funcref"
                        },
                    ));
                } else {
                    self.ints.push((
                        v,
                        SCALARS
                            .iter()
                            .find(|s| **s == place.ty)
                            .copied()
                            .unwrap_or("i32"),
                    ));
                }
            }
            4 => {
                let ext: Vec<u32> = self
                    .refs
                    .iter()
                    .filter(|r| r.1 == "externref")
                    .map(|r| r.0)
                    .collect();
                let r = *u.choose(&ext)?;
                writeln!(self.body, "    call fn2(v{r})").unwrap();
            }
            5 => {
                let v = if u.ratio(1, 2)? {
                    self.def("call fn3()")
                } else {
                    self.def("call fn4()")
                };
                self.refs.push((v, "externref"));
            }
            _ => {
                // Ordinary data through linear memory, next to the off-heap places.
                let i = self.int_of(u, "i64")?;
                writeln!(self.body, "    store v{i}, v{}", self.memory_slot).unwrap();
                let ext: Vec<u32> = self
                    .refs
                    .iter()
                    .filter(|r| r.1 == "externref")
                    .map(|r| r.0)
                    .collect();
                if ext.len() >= 2 {
                    let (a, b) = (*u.choose(&ext)?, *u.choose(&ext)?);
                    let s = self.def(&format!("select v3, v{a}, v{b}"));
                    self.refs.push((s, "externref"));
                }
            }
        }
        Ok(())
    }

    fn text(&self, extra: &str) -> String {
        format!("{}{}{extra}{}", self.head, self.body, self.tail)
    }
}

/// One escaping mutation: the lines to insert, and the rule that must reject them.
fn mutation(u: &mut Unstructured, l: &Legal) -> Result<(String, Rule)> {
    let place = *u.choose(&l.places)?;
    let a = place.addr;
    let (r, rty) = *u.choose(&l.refs)?;
    let clif_ty = if place.ty.ends_with("ref") {
        "i32"
    } else {
        place.ty
    };
    let other_ty = if clif_ty == "i64" { "i32" } else { "i64" };
    let narrow_ref = l
        .places
        .iter()
        .find(|p| p.ty != rty && p.mutable && !p.ty.ends_with("ref"));
    let ref_place = l.places.iter().find(|p| p.ty.ends_with("ref") && p.mutable);
    let m = l.memory_slot;
    let options: Vec<(String, Rule)> = [
        Some((
            format!("    v9000 = iadd v{a}, v{a}\n"),
            Rule::AddressArithmetic,
        )),
        Some((
            format!("    v9000 = iconst.i64 8\n    v9001 = isub v{a}, v9000\n"),
            Rule::AddressArithmetic,
        )),
        Some((
            format!("    v9000 = icmp eq v{a}, v0\n"),
            Rule::AddressCompare,
        )),
        Some((
            format!("    v9000 = select v3, v{a}, v0\n"),
            Rule::AddressSelect,
        )),
        Some((
            format!("    v9000 = bitcast.f64 v{a}\n"),
            Rule::AddressBitcast,
        )),
        Some((
            format!("    v9000 = ireduce.i32 v{a}\n"),
            Rule::AddressConversion,
        )),
        Some((format!("    call fn0(v{a})\n"), Rule::AddressCallArgument)),
        Some((format!("    store v{a}, v{m}\n"), Rule::AddressStored)),
        Some((
            format!("    v9000 = load.{clif_ty} v{a}+4\n"),
            Rule::AddressOffset,
        )),
        Some((
            format!("    v9000 = load.{other_ty} v{a}\n"),
            Rule::AddressAccessType,
        )),
        Some((
            format!("    v9000 = uload8.i64 v{a}\n"),
            Rule::AddressPartialAccess,
        )),
        Some((
            format!("    v9000 = atomic_load.i64 v{a}\n"),
            Rule::AddressAtomic,
        )),
        (!place.mutable && !place.ty.ends_with("ref")).then(|| {
            (
                format!("    v9000 = load.{clif_ty} v{a}\n    store v9000, v{a}\n"),
                Rule::ImmutableGlobalStore,
            )
        }),
        Some((
            format!("    v9000 = iconst.i32 1\n    v9001 = iadd v{r}, v9000\n"),
            Rule::RefArithmetic,
        )),
        Some((format!("    v9000 = icmp eq v{r}, v3\n"), Rule::RefCompare)),
        Some((
            format!("    v9000 = uextend.i64 v{r}\n"),
            Rule::RefConversion,
        )),
        Some((format!("    v9000 = bitcast.f32 v{r}\n"), Rule::RefBitcast)),
        Some((format!("    v9000 = load.i64 v{r}\n"), Rule::RefAsAddress)),
        Some((format!("    store v{r}, v{m}\n"), Rule::RefStoredToMemory)),
        Some((format!("    call fn1(v{r})\n"), Rule::RefToNonRefParameter)),
        narrow_ref.filter(|p| p.ty == "i32").map(|p| {
            (
                format!("    store v{r}, v{}\n", p.addr),
                Rule::RefIntoNonRefPlace,
            )
        }),
        ref_place.map(|p| {
            (
                format!(
                    "    v9000 = iconst.i32 4096\n    store v9000, v{}\n",
                    p.addr
                ),
                Rule::ForgedRef,
            )
        }),
        Some((
            format!("    v9000 = iconst.i32 0\n    v9001 = select v3, v{r}, v9000\n"),
            Rule::RefMixedSelect,
        )),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(u.choose(&options)?.clone())
}

/// Generate, mutate, verify; panics when the verifier is wrong either way.
pub fn offheap_escape(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(l) = legal(&mut u) else { return };
    let original = l.text("");
    let (decls, funcs) = text::parse(&original)
        .unwrap_or_else(|e| panic!("generated text does not parse: {e}\n{original}"));
    if let Err(errors) = verify(&funcs[0], &decls) {
        panic!(
            "a legal program was rejected: {:?}\n{original}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
    let Ok((lines, rule)) = mutation(&mut u, &l) else {
        return;
    };
    let mutant = l.text(&lines);
    let (decls, funcs) =
        text::parse(&mutant).unwrap_or_else(|e| panic!("mutant does not parse: {e}\n{mutant}"));
    match verify(&funcs[0], &decls) {
        Ok(()) => panic!("an escaping mutant was accepted (expected {rule}):\n{mutant}"),
        Err(errors) if !errors.iter().any(|e| e.rule == rule) => panic!(
            "the mutant was rejected, but not for {rule}: {:?}\n{mutant}",
            errors.iter().map(|e| e.rule.name()).collect::<Vec<_>>()
        ),
        Err(_) => {}
    }
}

/// Print the original and the mutant `data` makes (for inspecting the generator).
pub fn print_sample(data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Ok(l) = legal(&mut u) {
        if let Ok((lines, rule)) = mutation(&mut u, &l) {
            println!("{}\n; mutation ({rule}):\n{lines}", l.text(""));
        }
    }
}
