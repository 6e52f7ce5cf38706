//! The adversarial suite (`suite/reject`: one program per way of taking an off-heap
//! address or forging or leaking a reference, each rejected with exactly its rule), the
//! legal look-alikes (`suite/accept`), and the text round trip of every file.

use cranelift_offheap::text::{parse, print};
use cranelift_offheap::{verify, Rule};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(&manifest_dir()).join("tests/suite").join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "clif"))
        .collect();
    out.sort();
    out
}

fn rules_of(path: &Path) -> Vec<Rule> {
    let text = std::fs::read_to_string(path).unwrap();
    let (decls, funcs) = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    funcs
        .iter()
        .filter_map(|f| verify(f, &decls).err())
        .flatten()
        .map(|e| {
            // Every error names the function, the instruction (when there is one) and a hint.
            assert!(e.to_string().contains("in function %f"), "{e}");
            assert!(!e.hint().is_empty());
            e.rule
        })
        .collect()
}

#[test]
fn every_adversarial_program_is_rejected_with_its_rule() {
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let all = files("reject");
    assert!(all.len() >= 40, "the suite has {} programs", all.len());
    for path in &all {
        let text = std::fs::read_to_string(path).unwrap();
        let expected = text
            .lines()
            .find_map(|l| l.strip_prefix("; expect: "))
            .unwrap_or_else(|| panic!("{}: no `; expect:` line", path.display()));
        let rule = Rule::ALL
            .iter()
            .find(|r| r.name() == expected)
            .unwrap_or_else(|| panic!("{}: unknown rule {expected}", path.display()));
        let found = rules_of(path);
        assert!(
            !found.is_empty(),
            "{}: accepted, expected {expected}",
            path.display()
        );
        assert!(
            found.iter().all(|r| r == rule),
            "{}: expected only {expected}, got {found:?}",
            path.display()
        );
        *per_rule.entry(rule.name()).or_default() += 1;
    }
    eprintln!("adversarial programs per rule:");
    for (rule, n) in &per_rule {
        eprintln!("  {rule}: {n}");
    }
}

#[test]
fn every_legal_look_alike_is_accepted() {
    let all = files("accept");
    assert!(all.len() >= 40, "the suite has {} programs", all.len());
    for path in &all {
        let found = rules_of(path);
        assert!(
            found.is_empty(),
            "{}: rejected with {found:?}",
            path.display()
        );
    }
}

/// `parse(print(f))` gives back `f` (and the declarations) for every test file.
#[test]
fn text_round_trips() {
    for path in files("reject").into_iter().chain(files("accept")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let (decls, funcs) = parse(&text).unwrap();
        let printed = print(&decls, &funcs);
        let (decls2, funcs2) = parse(&printed)
            .unwrap_or_else(|e| panic!("{}: reparse failed: {e}\n{printed}", path.display()));
        assert_eq!(decls, decls2, "{}", path.display());
        assert_eq!(funcs.len(), funcs2.len());
        for (a, b) in funcs.iter().zip(&funcs2) {
            assert_eq!(
                a.display().to_string(),
                b.display().to_string(),
                "{}",
                path.display()
            );
        }
        assert_eq!(
            printed,
            print(&decls2, &funcs2),
            "{}: printing is stable",
            path.display()
        );
    }
}

/// `verify_resolved`, given each instruction's operands resolved by the caller (as a
/// lowering pass has them), finds exactly the violations `verify` finds, on every
/// program of the suite.
#[test]
fn verifying_resolved_rows_agrees_with_the_walk() {
    use cranelift_offheap::analysis::Analysis;
    use cranelift_offheap::verify_resolved;
    for path in files("reject").iter().chain(&files("accept")) {
        let text = std::fs::read_to_string(path).unwrap();
        let (decls, funcs) = parse(&text).unwrap();
        for f in &funcs {
            let dfg = &f.dfg;
            let rows: Vec<_> = f
                .layout
                .blocks()
                .flat_map(|b| f.layout.block_insts(b))
                .map(|inst| {
                    let data = &dfg.insts[inst];
                    let mut operands: Vec<_> = dfg
                        .inst_args(inst)
                        .iter()
                        .map(|&a| dfg.resolve_aliases(a))
                        .collect();
                    for call in data.branch_destination(&dfg.jump_tables, &dfg.exception_tables) {
                        operands.extend(
                            call.args(&dfg.value_lists)
                                .filter_map(|a| a.as_value())
                                .map(|a| dfg.resolve_aliases(a)),
                        );
                    }
                    (inst, data.opcode(), operands)
                })
                .collect();
            let analysis = Analysis::compute(f, &decls);
            let resolved = verify_resolved(
                f,
                &decls,
                &analysis,
                rows.iter().map(|(i, op, ops)| (*i, *op, ops.as_slice())),
            );
            assert_eq!(resolved, verify(f, &decls), "{}", path.display());
        }
    }
}

/// `Analysis::compute_among`, shown only the `stack_addr` and `symbol_value`
/// instructions (as a lowering pass gathers them in its own walk), finds the same places
/// and references as `Analysis::compute`, on every program of the suite.
#[test]
fn analysis_among_address_instructions_agrees_with_the_walk() {
    use cranelift_codegen::ir::Opcode;
    use cranelift_offheap::analysis::Analysis;
    let mut with_places = 0;
    for path in files("reject").iter().chain(&files("accept")) {
        let text = std::fs::read_to_string(path).unwrap();
        let (decls, funcs) = parse(&text).unwrap();
        for f in &funcs {
            let address_insts = f
                .layout
                .blocks()
                .flat_map(|b| f.layout.block_insts(b))
                .filter(|&i| {
                    matches!(
                        f.dfg.insts[i].opcode(),
                        Opcode::StackAddr | Opcode::SymbolValue
                    )
                });
            let among = Analysis::compute_among(f, &decls, address_insts);
            let walked = Analysis::compute(f, &decls);
            assert_eq!(
                among.is_trivial(),
                walked.is_trivial(),
                "{}",
                path.display()
            );
            assert_eq!(
                among.has_places(),
                walked.has_places(),
                "{}",
                path.display()
            );
            assert_eq!(among.has_refs(), walked.has_refs(), "{}", path.display());
            for v in f.dfg.values() {
                assert_eq!(
                    among.place(f, v),
                    walked.place(f, v),
                    "{}: {v}",
                    path.display()
                );
                assert_eq!(
                    among.ref_type(f, v),
                    walked.ref_type(f, v),
                    "{}: {v}",
                    path.display()
                );
            }
            with_places += usize::from(walked.has_places());
        }
    }
    // The suite is about places: most of its functions have some.
    assert!(with_places > 20, "{with_places} functions with places");
}

/// The package's directory: as cargo gives it to the running test, else as it was at
/// build time (a build directory shared between checkouts can hold a test built in
/// another one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
