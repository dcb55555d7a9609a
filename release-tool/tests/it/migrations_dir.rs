//! The release tool resolves the migrations folder as the buildpack does: every case of the
//! table the two share (`contract/src/migrations_dir/cases.rs`, which the buildpack's tests
//! run too) through the real binary, with the variables set as Heroku sets config vars.

use crate::support::{assert_exit, slipway, stderr};

include!("../../../contract/src/migrations_dir/cases.rs");

#[test]
fn every_shared_migrations_folder_case_resolves_as_the_table_says() {
    for case in CASES {
        let app = case_app(case);
        // One migration, in the folder the table says both must pick: any other folder
        // would hold none.
        if let Ok(expected) = case.expected {
            let folder = app.path().join(expected.unwrap_or("migrations"));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("1_marker.sql"), "SELECT 1;\n").unwrap();
        }
        let mut cmd = slipway(app.path(), "");
        cmd.env_remove("DATABASE_URL").args(["lint", "--offline"]);
        if let Some(value) = case.migrations_dir_var {
            cmd.env("SLIPWAY_MIGRATIONS_DIR", value);
        }
        if let Some(value) = case.config_var {
            cmd.env("SLIPWAY_CONFIG", value);
        }
        let output = cmd.output().unwrap();
        let said = stderr(&output);
        match case.expected {
            Ok(_) => {
                assert_exit(&output, 0);
                assert!(said.contains("1 migration(s) in"), "{}: {said}", case.name);
            }
            Err(fragment) => {
                assert_exit(&output, 2);
                assert!(said.contains(fragment), "{}: {said}", case.name);
            }
        }
    }
}
