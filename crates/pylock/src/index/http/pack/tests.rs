//! Tests of the metadata packs: lookups, concurrent appends, damage and hostile files.

use super::*;

fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pylock-pack-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn hash(n: u8) -> Sha256Hash {
    Sha256Hash::from_bytes([n; 32])
}

const WHEEL: &str = "Foo.Bar-1.0-py3-none-any.whl";

fn pack_path(dir: &Path) -> PathBuf {
    dir.join(KEPT_METADATA_DIR).join("foo_bar")
}

#[test]
fn pack_names_are_project_names_or_one_shared_pack() {
    assert_eq!(project_of(WHEEL), "foo_bar");
    assert_eq!(project_of("zope.interface-5.0.tar.gz"), "zope_interface");
    assert_eq!(project_of("python-dateutil-2.8.tar.gz"), "python");
    for odd in [
        "../../etc/passwd-1.whl",
        "-1.0.whl",
        "nodash.whl",
        ".hidden-1.whl",
    ] {
        let name = project_of(odd);
        assert!(name == "_other" || !name.starts_with('.'), "{odd}: {name}");
    }
    assert_eq!(project_of("../../etc/passwd-1.whl"), "_other");
    assert_eq!(project_of(&format!("{}-1.whl", "a".repeat(101))), "_other");
}

#[test]
fn records_are_found_by_hash_across_runs_in_one_file_per_project() {
    let dir = tempdir("found");
    let kept = KeptMetadata::new(&dir);
    assert_eq!(kept.read(WHEEL, hash(1)), None);
    kept.store(WHEEL, hash(1), b"one");
    kept.store("foo_bar-2.0-py3-none-any.whl", hash(2), b"two");
    kept.store(WHEEL, hash(1), b"one");
    kept.store("other-1.0.tar.gz", hash(3), b"three");
    let next = KeptMetadata::new(&dir);
    assert_eq!(next.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
    assert_eq!(next.read(WHEEL, hash(2)).as_deref(), Some(&b"two"[..]));
    assert_eq!(next.read(WHEEL, hash(3)), None, "another project's pack");
    assert_eq!(
        next.read("other-1.0.tar.gz", hash(3)).as_deref(),
        Some(&b"three"[..])
    );
    let mut files: Vec<String> = std::fs::read_dir(dir.join(KEPT_METADATA_DIR))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["foo_bar", "other"]);
    let bytes = std::fs::read(pack_path(&dir)).expect("pack");
    let (records, damaged, duplicates, _) = index_records(&bytes);
    assert_eq!((records.len(), damaged, duplicates), (2, false, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Appends from several stores (threads of one run, or runs) to one pack all land whole.
#[test]
fn concurrent_appends_to_one_pack_all_land_whole() {
    let dir = tempdir("concurrent");
    let stores: Vec<KeptMetadata> = (0..4).map(|_| KeptMetadata::new(&dir)).collect();
    // Each store has the pack open before any writes (as concurrent runs would).
    for store in &stores {
        assert_eq!(store.read(WHEEL, hash(0)), None);
    }
    std::thread::scope(|s| {
        for (t, store) in stores.iter().enumerate() {
            s.spawn(move || {
                for i in 0..50u8 {
                    let n = i.wrapping_mul(4).wrapping_add(t as u8 + 1);
                    store.store(WHEEL, hash(n), &vec![n; 100 + usize::from(n)]);
                }
            });
        }
    });
    let next = KeptMetadata::new(&dir);
    for n in 1..=200u8 {
        assert_eq!(
            next.read(WHEEL, hash(n)),
            Some(vec![n; 100 + usize::from(n)]),
            "{n}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs that create a project's pack at the same moment all keep their records: the pack
/// appears with its magic and first record at once, so no other run's append can land ahead
/// of its magic (which made the whole pack read as damaged: a later `--offline` run found
/// nothing kept).
#[test]
fn runs_creating_one_pack_at_once_all_keep_their_records() {
    for round in 0..150 {
        let dir = tempdir(&format!("create-{round}"));
        let stores: Vec<KeptMetadata> = (0..4).map(|_| KeptMetadata::new(&dir)).collect();
        let start = std::sync::Barrier::new(stores.len());
        std::thread::scope(|s| {
            for (t, store) in stores.iter().enumerate() {
                let start = &start;
                s.spawn(move || {
                    let n = t as u8 + 1;
                    start.wait();
                    store.store(WHEEL, hash(n), &[n; 64]);
                });
            }
        });
        let next = KeptMetadata::new(&dir);
        for n in 1..=4u8 {
            assert_eq!(
                next.read(WHEEL, hash(n)),
                Some(vec![n; 64]),
                "round {round}: {n}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_record_cut_short_is_dropped_and_the_pack_rewritten() {
    let dir = tempdir("cut");
    let kept = KeptMetadata::new(&dir);
    kept.store(WHEEL, hash(1), b"one");
    kept.store(WHEEL, hash(2), b"two");
    let path = pack_path(&dir);
    let bytes = std::fs::read(&path).expect("pack");
    std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("cut");
    let next = KeptMetadata::new(&dir);
    assert_eq!(next.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
    assert_eq!(next.read(WHEEL, hash(2)), None);
    // Kept again: the pack is rewritten whole, not appended to after the torn record.
    next.store(WHEEL, hash(2), b"two");
    assert_eq!(std::fs::read(&path).expect("pack"), bytes);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_or_moved_records_are_refused() {
    let dir = tempdir("damaged");
    let kept = KeptMetadata::new(&dir);
    kept.store(WHEEL, hash(1), b"one");
    kept.store(WHEEL, hash(2), b"two");
    kept.store(WHEEL, hash(3), b"three");
    let path = pack_path(&dir);
    let mut bytes = std::fs::read(&path).expect("pack");
    let (records, _, _, _) = index_records(&bytes);
    // A bit flipped in the first record's content.
    let first = records[&[1; 32]].clone();
    bytes[first.end - 1] ^= 1;
    // The second record's content and seal copied under the third's hash.
    let (second, third) = (records[&[2; 32]].clone(), records[&[3; 32]].clone());
    let mut moved = bytes[second.clone()].to_vec();
    moved[8..40].copy_from_slice(&[3; 32]);
    bytes.splice(third, moved);
    std::fs::write(&path, &bytes).expect("damage");
    let next = KeptMetadata::new(&dir);
    assert_eq!(next.read(WHEEL, hash(1)), None);
    assert_eq!(next.read(WHEEL, hash(2)).as_deref(), Some(&b"two"[..]));
    assert_eq!(next.read(WHEEL, hash(3)), None);
    // Kept again after a fetch: the pack is rewritten with its good records.
    next.store(WHEEL, hash(1), b"one");
    next.store(WHEEL, hash(3), b"three");
    let last = KeptMetadata::new(&dir);
    for (n, content) in [(1, &b"one"[..]), (2, b"two"), (3, b"three")] {
        assert_eq!(last.read(WHEEL, hash(n)).as_deref(), Some(content));
    }
    let (records, damaged, duplicates, _) = index_records(&std::fs::read(&path).expect("pack"));
    assert_eq!((records.len(), damaged, duplicates), (3, false, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn packs_of_another_format_or_too_large_are_replaced() {
    let dir = tempdir("format");
    let path = pack_path(&dir);
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    let mut older = b"pylock-metadata-pack-v1\n".to_vec();
    older.extend_from_slice(&record(&[1; 32], b"one").expect("record"));
    std::fs::write(&path, &older).expect("write");
    let kept = KeptMetadata::new(&dir);
    assert_eq!(kept.read(WHEEL, hash(1)), None);
    kept.store(WHEEL, hash(1), b"one");
    let bytes = std::fs::read(&path).expect("pack");
    assert!(bytes.starts_with(PACK_MAGIC));
    assert_eq!(
        KeptMetadata::new(&dir).read(WHEEL, hash(1)).as_deref(),
        Some(&b"one"[..])
    );
    // Past the size limit: not read, started afresh.
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    file.set_len(MAX_PACK_BYTES + 1).expect("grow");
    let kept = KeptMetadata::new(&dir);
    assert_eq!(kept.read(WHEEL, hash(1)), None);
    kept.store(WHEEL, hash(2), b"two");
    assert!(std::fs::metadata(&path).expect("pack").len() < 1024);
    assert_eq!(
        KeptMetadata::new(&dir).read(WHEEL, hash(2)).as_deref(),
        Some(&b"two"[..])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_duplicates_are_rewritten_away() {
    let dir = tempdir("duplicates");
    let path = pack_path(&dir);
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    // Runs that each missed the same file, and kept it.
    let mut bytes = PACK_MAGIC.to_vec();
    for _ in 0..40 {
        bytes.extend(record(&[1; 32], b"one").expect("record"));
    }
    std::fs::write(&path, &bytes).expect("write");
    assert_eq!(index_records(&bytes).2, 39);
    let kept = KeptMetadata::new(&dir);
    assert_eq!(kept.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
    kept.store(WHEEL, hash(2), b"two");
    let (records, damaged, duplicates, _) = index_records(&std::fs::read(&path).expect("pack"));
    assert_eq!((records.len(), damaged, duplicates), (2, false, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A FIFO in place of a pack is not opened (that would block for ever), a symlink not
/// followed (appends would land outside the cache): both are replaced by a pack.
#[cfg(unix)]
#[test]
fn a_fifo_or_a_symlink_in_place_of_a_pack_is_replaced_not_followed() {
    let dir = tempdir("special");
    let packs = dir.join(KEPT_METADATA_DIR);
    std::fs::create_dir_all(&packs).expect("dir");
    let fifo = std::process::Command::new("mkfifo")
        .arg(pack_path(&dir))
        .status()
        .expect("mkfifo");
    assert!(fifo.success());
    let kept = KeptMetadata::new(&dir);
    assert_eq!(kept.read(WHEEL, hash(1)), None);
    kept.store(WHEEL, hash(1), b"one");
    assert!(std::fs::symlink_metadata(pack_path(&dir))
        .expect("pack")
        .is_file());

    let victim = dir.join("victim");
    std::fs::write(&victim, PACK_MAGIC).expect("victim");
    std::fs::remove_file(pack_path(&dir)).expect("remove");
    std::os::unix::fs::symlink(&victim, pack_path(&dir)).expect("symlink");
    let kept = KeptMetadata::new(&dir);
    assert_eq!(kept.read(WHEEL, hash(1)), None);
    kept.store(WHEEL, hash(1), b"one");
    kept.store(WHEEL, hash(2), b"two");
    assert_eq!(std::fs::read(&victim).expect("victim"), PACK_MAGIC);
    assert!(std::fs::symlink_metadata(pack_path(&dir))
        .expect("pack")
        .is_file());
    let next = KeptMetadata::new(&dir);
    assert_eq!(next.read(WHEEL, hash(2)).as_deref(), Some(&b"two"[..]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Packs are read only while the bytes held for all of them stay within the bound.
#[test]
fn packs_past_the_bytes_held_for_all_are_not_read() {
    let dir = tempdir("held");
    KeptMetadata::new(&dir).store(WHEEL, hash(1), b"one");
    let kept = KeptMetadata::new(&dir);
    kept.held.store(MAX_HELD_BYTES - 8, Ordering::Relaxed);
    assert_eq!(kept.read(WHEEL, hash(1)), None);
    let roomy = KeptMetadata::new(&dir);
    assert_eq!(roomy.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
    assert!(roomy.held.load(Ordering::Relaxed) > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

const PAGE: &str = "http://127.0.0.1:9/simple/foo-bar/";

fn page(n: u8) -> Vec<u8> {
    let mut page = b"pylock-http-v3\n".to_vec();
    page.extend(std::iter::repeat_n(n, 1000));
    page
}

#[test]
fn a_page_goes_to_its_projects_pack_beside_its_metadata() {
    let dir = tempdir("page-beside");
    let kept = KeptMetadata::new(&dir);
    let key = page_key(&PAGE.parse().expect("url"), "text/html");
    assert_ne!(
        key,
        page_key(&PAGE.parse().expect("url"), "application/json")
    );
    assert!(kept.store_page("foo-bar", key, &page(1)));
    kept.store(WHEEL, hash(1), b"one");
    let next = KeptMetadata::new(&dir);
    assert_eq!(next.read_page("foo-bar", &key), Some(page(1)));
    assert_eq!(next.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
    let files: Vec<_> = std::fs::read_dir(dir.join(KEPT_METADATA_DIR))
        .expect("dir")
        .collect();
    assert_eq!(files.len(), 1, "one file for the project");
    assert_eq!(pack_of_project("zope-interface"), "zope_interface");
    assert_eq!(pack_of_project("../etc"), "_other");
}

#[test]
fn a_newer_page_replaces_the_older_and_stale_copies_are_dropped() {
    let dir = tempdir("page-newer");
    let key = page_key(&PAGE.parse().expect("url"), "text/html");
    KeptMetadata::new(&dir).store(WHEEL, hash(1), b"one");
    // Each run keeps the page anew (revalidated); the last one wins.
    for n in 1..=3000u16 {
        let kept = KeptMetadata::new(&dir);
        assert!(kept.store_page("foo-bar", key, &page((n % 251) as u8)));
        if n % 500 == 0 {
            let next = KeptMetadata::new(&dir);
            assert_eq!(next.read_page("foo-bar", &key), Some(page((n % 251) as u8)));
        }
    }
    // Older copies do not pile up: rewritten once they outweigh the rest.
    let size = std::fs::metadata(pack_path(&dir)).expect("pack").len();
    assert!(size < 3 * MAX_STALE_BYTES, "{size}");
    let next = KeptMetadata::new(&dir);
    assert_eq!(next.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
}

#[test]
fn a_forgotten_page_is_not_read_again_and_left_out() {
    let dir = tempdir("page-forget");
    let key = page_key(&PAGE.parse().expect("url"), "text/html");
    let kept = KeptMetadata::new(&dir);
    assert!(kept.store_page("foo-bar", key, &page(1)));
    kept.store(WHEEL, hash(1), b"one");
    let next = KeptMetadata::new(&dir);
    assert_eq!(next.read_page("foo-bar", &key), Some(page(1)));
    next.forget_page("foo-bar", &key);
    assert_eq!(next.read_page("foo-bar", &key), None);
    // The next write leaves it out.
    next.store("foo_bar-2.0-py3-none-any.whl", hash(2), b"two");
    let third = KeptMetadata::new(&dir);
    assert_eq!(third.read_page("foo-bar", &key), None);
    assert_eq!(third.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
}

#[test]
fn a_page_too_big_for_a_pack_is_not_kept_there() {
    let dir = tempdir("page-big");
    let kept = KeptMetadata::new(&dir);
    let key = page_key(&PAGE.parse().expect("url"), "text/html");
    let big = vec![0u8; MAX_PACK_BYTES as usize];
    assert!(!kept.store_page("foo-bar", key, &big));
    assert_eq!(kept.read_page("foo-bar", &key), None);
}

#[test]
fn pages_read_leave_memory_and_survive_a_rewrite() {
    let dir = tempdir("page-release");
    let key = page_key(&PAGE.parse().expect("url"), "text/html");
    let mut big = b"pylock-http-v3\n".to_vec();
    big.extend(std::iter::repeat_n(9u8, 200_000));
    let kept = KeptMetadata::new(&dir);
    assert!(kept.store_page("foo-bar", key, &big));
    kept.store(WHEEL, hash(1), b"one");
    let next = KeptMetadata::new(&dir);
    assert_eq!(next.read_page("foo-bar", &key), Some(big.clone()));
    {
        let pack = next.pack("foo_bar".into()).1;
        let pack = lock(&pack);
        assert!(
            pack.released && pack.bytes.len() < 1000,
            "{}",
            pack.bytes.len()
        );
    }
    assert!(next.held.load(Ordering::Relaxed) < 1000);
    // Metadata is still looked up from memory.
    assert_eq!(next.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
    // A rewrite reads the pack again first: the page is kept.
    lock(&next.pack("foo_bar".into()).1).rewrite = true;
    next.store("foo_bar-2.0-py3-none-any.whl", hash(2), b"two");
    let third = KeptMetadata::new(&dir);
    assert_eq!(third.read_page("foo-bar", &key), Some(big));
    assert_eq!(third.read(WHEEL, hash(1)).as_deref(), Some(&b"one"[..]));
    assert_eq!(
        third
            .read("foo_bar-2.0-py3-none-any.whl", hash(2))
            .as_deref(),
        Some(&b"two"[..])
    );
}
