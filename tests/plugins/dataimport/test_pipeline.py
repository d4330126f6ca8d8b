"""Stage, validate, fix, publish and undo: the import pipeline's services."""

import datetime as dt
import re

import pytest
from sqlalchemy import delete, select, update

from onward import SYSTEM, acting_as, db
from onward.plugins.dataimport import publish, rowstatus, staging, validation
from onward.plugins.dataimport.models import (
    BatchUpdate,
    DataImport,
    ImportFile,
    PublishBatch,
    StagingRow,
    ValidationRule,
)
from onward.plugins.onboarding.customer_data import (
    OnboardingLocation,
    OnboardingProduct,
    OnboardingSoldProduct,
)
from onward.plugins.onboarding.models import CaseTask

from .workbooks import err, formula, openpyxl_workbook, raw_workbook, sheet_xml

#: each test runs with the rows read here and in a child process
pytestmark = pytest.mark.usefixtures("both_readers")


def upload(data_import, path):
    with open(path, "rb") as stream:
        record = staging.add_file(data_import, path.name, stream)
    return staging.stage_file(data_import, record)


def rows_of(app, task_id):
    with app.app_context():
        return {row.row_number: (row.status, [p["message"] for p in row.problems], row.values)
                for row in db.session.scalars(select(StagingRow).order_by(StagingRow.id))}


def test_rows_go_to_staging_validated_with_their_excel_row_numbers(app, task_id, run, xlsx):
    path = xlsx([["HQ", " 1 Main St ", "Santa Clara", "US", 37.35],
                 ["Depot", None, "Austin", "US", None]])
    assert run(upload, path) == 2
    rows = rows_of(app, task_id)
    assert rows[2] == ("ready", [], {"name": "HQ", "street": "1 Main St",
                                               "city": "Santa Clara", "country": "US",
                                               "latitude": 37.35})
    assert rows[3][2]["street"] is None  # a blank cell is no value
    assert run(rowstatus.status_counts) == {"ready": 2}


def test_an_imports_rows_go_with_it_however_it_is_deleted(app, task_id, run, xlsx, account):
    from onward.plugins.onboarding.cases import create_task

    path = xlsx([["HQ", "1 Main St", "Santa Clara", "US", None]])
    run(upload, path)
    with app.app_context(), acting_as(SYSTEM):  # two more imports of the case, staged
        case = db.session.get(CaseTask, task_id).case
        others = [create_task(case, f"Import {n}", task_type="data_capture").id for n in (1, 2)]
        for other in others:
            upload(staging.import_of_task(db.session.get(CaseTask, other), "locations"), path)
        db.session.commit()

    def import_ids_of_rows():
        with app.app_context():
            return db.session.scalars(select(StagingRow.import_id).order_by(StagingRow.id)).all()

    first, _, third = import_ids_of_rows()
    with app.app_context():  # by the database's cascade from the task, then directly
        db.session.execute(delete(CaseTask).where(CaseTask.id == others[0]))
        db.session.execute(delete(DataImport).where(DataImport.id == third))
        db.session.commit()
    assert import_ids_of_rows() == [first]


def files_of(app):
    with app.app_context():
        return [(f.name, f.state, f.message)
                for f in db.session.scalars(select(ImportFile).order_by(ImportFile.id))]


def test_a_column_that_matches_no_field_refuses_the_file(app, task_id, run, xlsx):
    path = xlsx([["HQ", "Santa Clara"]], header=["Name", "Cty"])
    assert run(upload, path) == 0
    assert rows_of(app, task_id) == {}
    assert files_of(app) == [("locations.xlsx", "refused", "locations.xlsx: column 'Cty' "
                              "matches no field (did you mean 'City' or 'Country'?).")]


def test_validation_sorts_rows_and_names_column_and_problem(app, task_id, run, xlsx):
    path = xlsx([["HQ", "1 Main St", "Santa Clara", "US", 37.35],
                 [None, "2 Side St", "Austin", "US", "north"],
                 ["hq", "", "Reno", "US", None],
                 ["Depot", "x" * 300, "Reno", "US", 1]])
    run(upload, path)
    counts = run(validation.validate)
    assert counts == {"ready": 1, "needs_attention": 3}
    rows = rows_of(app, task_id)
    assert rows[2][0] == "ready"
    assert rows[3][1] == ["Name: a value is required.", "Latitude: 'north' is not a number."]
    assert rows[4][1] == ["Name: the same as row 2; each record once."]
    assert rows[5][1] == ["Street: is 300 characters long; at most 255 fit."]


def statuses_in_staging_order(app):
    with app.app_context():
        return [(row.row_number, row.status, [p["message"] for p in row.problems])
                for row in db.session.scalars(select(StagingRow).order_by(StagingRow.id))]


# python-calamine's rows keep the file's keys in memory (the import has no rows yet: see
# the first file); openpyxl streams, and its rows are looked up in staging like the second's
@pytest.mark.parametrize("engine", [
    pytest.param("calamine", marks=pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2)),
    pytest.param("openpyxl", marks=pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2,
                                                             IMPORT_CALAMINE_MAX_ROWS=1))])
def test_staging_finds_a_key_staged_before_in_an_earlier_chunk_or_file(app, task_id, run,
                                                                      xlsx, engine):
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None],
                      ["Depot", "9 Dock Rd", "Reno", "US", None],
                      [" hq ", "2 Side St", "Boise", "US", None]]))  # next chunk: row 2's key
    run(upload, xlsx([["Depot", "9 Dock Rd", "Reno", "US", None]], name="more.xlsx"))
    twice = "Name: the same as row {}; each record once."
    expected = [(2, "ready", []), (3, "ready", []),
                (4, "needs_attention", [twice.format(2)]),  # of the same file
                (2, "needs_attention", [twice.format("3 of locations.xlsx")])]
    assert statuses_in_staging_order(app) == expected
    # validating again finds the same: the first row staged keeps the key, whatever its number
    run(lambda _: db.session.execute(update(StagingRow).values(status="yet_to_validate")))
    assert run(validation.validate) == {"ready": 2, "needs_attention": 2}
    assert statuses_in_staging_order(app) == expected


def test_a_long_natural_key_keeps_keys_that_differ_only_at_the_end_apart():
    start = "Long name " * 40
    first, second = (staging.natural_key({"name": start + end}, ("name",)) for end in "AB")
    assert len(first) == len(second) == staging.KEY_LENGTH and first != second
    assert staging.natural_key({"name": f"  {start.upper()}A"}, ("name",)) == first
    assert staging.natural_key({"name": " HQ\x00 "}, ("name",)) == "hq"
    assert staging.natural_key({"a": "x", "b": None}, ("a", "b")) == "x\x1f"


def test_the_duplicate_lookup_of_a_chunk_uses_the_import_key_index(app, task_id, run):
    # with the (import_id, status, id) index SQLite scanned all the import's rows per chunk
    def plan(data_import):
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL plans by statistics an empty table lacks")
        query = validation.staged_keys_query(data_import, {"a", "b"})
        sql = query.compile(db.engine, compile_kwargs={"literal_binds": True}).string
        return db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()

    steps = [step[-1] for step in run(plan)]
    assert any(re.search(r"USING (COVERING )?INDEX ix_dataimport_row_import_key "
                         r"\(import_id=\? AND natural_key=\?\)", step) for step in steps), steps


def test_a_fixed_row_returns_to_yet_to_validate_and_passes(app, task_id, run, xlsx):
    run(upload, xlsx([["HQ", "1 Main St", "Santa Clara", "US", "north"]]))
    run(validation.validate)

    def fix(data_import):
        row = db.session.scalars(select(StagingRow)).one()
        return staging.edit_row(row, {"latitude": "37.35"}).status

    assert run(fix) == "yet_to_validate"
    assert run(validation.validate) == {"ready": 1}


def test_publish_inserts_updates_and_counts_unchanged(app, task_id, run, xlsx, account):
    run(upload, xlsx([["HQ", "1 Main St", "Santa Clara", "US", 37.35],
                      ["Depot", "9 Dock Rd", "Austin", "US", None]]))
    run(validation.validate)
    first = run(lambda di: publish.publish(di).id)
    run(staging.restart)
    run(upload, xlsx([["hq", "1 Main St", "San Jose", "US", 37.35],
                      ["Depot", "9 Dock Rd", "Austin", "US", None],
                      ["Store", "5 Mall Way", "Reno", "US", None]], name="again.xlsx"))
    run(validation.validate)
    second = run(lambda di: publish.publish(di).id)
    with app.app_context():
        batches = [db.session.get(PublishBatch, first), db.session.get(PublishBatch, second)]
        counts = [(b.inserted, b.updated, b.unchanged, b.failed) for b in batches]
        stored = db.session.scalars(select(OnboardingLocation)).all()
        locations = {location.name: location.city for location in stored}
        assert {location.account_id for location in stored} == {account}
    assert counts == [(2, 0, 0, 0), (1, 1, 1, 0)]
    assert locations == {"HQ": "San Jose", "Depot": "Austin", "Store": "Reno"}


def test_undo_takes_a_batch_back(app, task_id, run, xlsx):
    run(upload, xlsx([["HQ", "1 Main St", "Santa Clara", "US", None]]))
    run(validation.validate)
    run(publish.publish)
    run(staging.restart)
    run(upload, xlsx([["HQ", "1 Main St", "San Jose", "US", None],
                      ["Depot", "9 Dock Rd", "Austin", "US", None]], name="second.xlsx"))
    run(validation.validate)
    batch_id = run(lambda di: publish.publish(di).id)

    def undo(data_import):
        publish.undo(db.session.get(PublishBatch, batch_id))
        return rowstatus.status_counts(data_import)

    assert run(undo) == {"ready": 2}
    with app.app_context():
        assert {loc.name: loc.city for loc in db.session.scalars(select(OnboardingLocation))} == {
            "HQ": "Santa Clara"}


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2)
def test_undo_restores_updates_of_every_chunk(app, task_id, run, xlsx):
    cities = {"HQ": "Austin", "Depot": "Reno", "Store": "Boise"}
    run(upload, xlsx([[name, "1 Main St", city, "US", None] for name, city in cities.items()]))
    run(publish.publish)
    run(staging.restart)
    run(upload, xlsx([[name, "1 Main St", "Paris", "US", None] for name in cities],
                     name="moved.xlsx"))
    batch_id = run(lambda di: publish.publish(di).id)
    with app.app_context():
        kept = db.session.execute(select(BatchUpdate.batch_id, BatchUpdate.old)).all()
        assert sorted(kept, key=str) == sorted(((batch_id, {"city": city})
                                                for city in cities.values()), key=str)
        assert db.session.get(PublishBatch, batch_id).undo == {"inserted": []}
    run(lambda _: publish.undo(db.session.get(PublishBatch, batch_id)))
    with app.app_context():
        assert {loc.name: loc.city for loc in db.session.scalars(
            select(OnboardingLocation))} == cities


def test_references_are_looked_up_in_the_account_and_catalogue(app, task_id, run, tmp_path,
                                                                account):
    from onward.plugins.onboarding.customer_services import create_product

    with app.app_context(), acting_as(SYSTEM):
        create_product({"name": "Router X1", "domain_id": 1})
        db.session.commit()
    header = ["Name", "Product", "Quantity", "Purchase date"]
    path = openpyxl_workbook(tmp_path / "sold.xlsx", {"Sold": [
        header, ["Routers", "router x1", 3, dt.date(2031, 1, 2)],
        ["Ghosts", "Ghost 9", 1, "02/01/2031"]]})
    run(upload, path, target="sold_products")
    assert run(validation.validate, target="sold_products") == {"ready": 1,
                                                                 "needs_attention": 1}
    rows = rows_of(app, task_id)
    assert rows[3][1] == ["Product: no Product named 'Ghost 9' (by name) in this account.",
                          "Purchase date: '02/01/2031' is not a date like 2031-05-30."]
    batch = run(lambda di: publish.publish(di).inserted, target="sold_products")
    assert batch == 1
    with app.app_context():
        product = db.session.scalars(select(OnboardingProduct)).one()
        from onward.plugins.onboarding.customer_data import OnboardingSoldProduct

        sold = db.session.scalars(select(OnboardingSoldProduct)).one()
        assert (sold.product_id, sold.quantity, sold.purchase_date) == (
            product.id, 3, dt.date(2031, 1, 2))


def test_a_row_whose_referenced_record_was_deleted_since_fails_alone(app, task_id, run,
                                                                     tmp_path):
    from onward.plugins.onboarding.customer_services import create_product

    with app.app_context(), acting_as(SYSTEM):
        create_product({"name": "Router X1", "domain_id": 1})
        create_product({"name": "Switch S2", "domain_id": 1})
        db.session.commit()
    path = openpyxl_workbook(tmp_path / "sold.xlsx", {"Sold": [
        ["Name", "Product"], ["Routers", "Router X1"], ["Switches", "Switch S2"]]})
    run(upload, path, target="sold_products")
    with app.app_context():
        db.session.execute(delete(OnboardingProduct).where(OnboardingProduct.name == "Switch S2"))
        db.session.commit()
    counts = run(lambda di: (lambda batch: (batch.inserted, batch.failed))(publish.publish(di)),
                 target="sold_products")
    assert counts == (1, 1)
    assert rows_of(app, task_id)[3][:2] == (
        "needs_attention", ["Product: no Product named 'Switch S2' (by name) in this account."])


def test_publish_checks_rows_again_under_the_rules_in_force(app, task_id, run, xlsx):
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None],
                      ["Depot", "9 Dock Rd", "Paris", "FR", None]]))
    with app.app_context():  # a rule added after the rows were validated
        db.session.add(ValidationRule(target="locations", kind="choice", field="country",
                                      options={"choices": ["US", "CA"]}, domain_id=1))
        db.session.commit()
    counts = run(lambda di: (lambda batch: (batch.inserted, batch.failed))(publish.publish(di)))
    assert counts == (1, 1)
    assert rows_of(app, task_id)[3][:2] == ("needs_attention",
                                            ["Country: 'FR' is not one of: US, CA."])


def test_a_date_rule_with_a_format_reads_text_dates(app, task_id, run, tmp_path):
    from onward.plugins.onboarding.customer_services import create_product

    with app.app_context(), acting_as(SYSTEM):
        create_product({"name": "Router X1", "domain_id": 1})
        db.session.add(ValidationRule(target="sold_products", kind="date",
                                      field="purchase_date", options={"format": "%d/%m/%Y"},
                                      domain_id=1))
        db.session.commit()
    path = openpyxl_workbook(tmp_path / "sold.xlsx", {"Sold": [
        ["Name", "Product", "Purchase date"], ["Routers", "Router X1", "02/01/2031"],
        ["Switches", "Router X1", dt.date(2031, 1, 3)], ["Hubs", "Router X1", "2031/01/04"]]})
    run(upload, path, target="sold_products")
    assert run(rowstatus.status_counts, target="sold_products") == {"ready": 2,
                                                                     "needs_attention": 1}
    # a date cell is staged as ISO text, which passes again however the rule writes dates
    assert rows_of(app, task_id)[3][2]["purchase_date"] == "2031-01-03"
    with app.app_context():
        db.session.execute(update(StagingRow).values(status="yet_to_validate"))
        db.session.commit()
    assert run(validation.validate, target="sold_products") == {"ready": 2,
                                                                 "needs_attention": 1}
    assert rows_of(app, task_id)[4][1] == [
        "Purchase date: '2031/01/04' is not a date like 30/05/2031."]
    run(publish.publish, target="sold_products")
    with app.app_context():
        assert sorted(db.session.scalars(select(OnboardingSoldProduct.purchase_date))) == [
            dt.date(2031, 1, 2), dt.date(2031, 1, 3)]


def test_a_number_its_column_cannot_hold_is_a_problem_never_a_database_failure(
        app, task_id, run, tmp_path):
    from onward.plugins.onboarding.customer_services import create_product

    with app.app_context(), acting_as(SYSTEM):
        create_product({"name": "Router X1", "domain_id": 1})
        # a number rule on a whole-number field keeps it whole, and keeps the column's range
        db.session.add(ValidationRule(target="sold_products", kind="number", field="quantity",
                                      domain_id=1))
        db.session.commit()
    path = openpyxl_workbook(tmp_path / "sold.xlsx", {"Sold": [
        ["Name", "Product", "Quantity"], ["Routers", "Router X1", "2,500"],
        ["Switches", "Router X1", 3e9], ["Hubs", "Router X1", 2.5],
        ["Cables", "Router X1", "1,5"]]})
    run(upload, path, target="sold_products")
    assert {number: problems for number, (_, problems, _) in rows_of(app, task_id).items()} == {
        2: [], 3: ["Quantity: 3,000,000,000 is too large: at most 2,147,483,647 fits."],
        4: ["Quantity: 2.5 is not a whole number."],
        5: ["Quantity: '1,5' is not a whole number."]}
    assert run(lambda di: (lambda b: (b.inserted, b.failed))(publish.publish(di)),
               target="sold_products") == (1, 0)
    with app.app_context():
        assert db.session.scalars(select(OnboardingSoldProduct.quantity)).all() == [2500]


def test_an_error_cell_is_a_problem_in_its_column_never_a_blank(app, task_id, run, tmp_path):
    sheet = sheet_xml([["Name", "City", "Country"], ["HQ", err("#N/A"), "US"],
                       ["Depot", formula("A2"), "US"]])
    run(upload, raw_workbook(tmp_path / "err.xlsx", [("Locations", sheet)]))
    expected = {2: ["City: the cell shows the error #N/A instead of a value."],
                3: ["City: the formula in this cell has no calculated value: open the file "
                    "in Excel and save it again, or type the value in."]}
    rows = rows_of(app, task_id)
    assert {number: problems for number, (_, problems, _) in rows.items()} == expected
    assert rows[2][2]["city"] == {"error": "#N/A"}
    with app.app_context():
        db.session.execute(update(StagingRow).values(status="yet_to_validate"))
        db.session.commit()
    assert run(validation.validate) == {"needs_attention": 2}
    assert {number: problems for number, (_, problems, _) in rows_of(app, task_id).items()
            } == expected


def test_the_seeds_account_check_is_a_record_rule(app, task_id, run, xlsx):
    with app.app_context():
        db.session.add(ValidationRule(target="locations", level="record",
                                      kind="dataimport_account_matches_case", domain_id=1))
        db.session.commit()
    run(upload, xlsx([["HQ", "Genixify"], ["Depot", "Contoso"]], header=["Name", "Company"]))
    assert run(validation.validate) == {"ready": 1, "needs_attention": 1}
    assert rows_of(app, task_id)[3][1] == [
        "Account: 'Contoso' is not the case's account (Genixify)."]


def test_a_header_taken_from_a_data_row_names_the_row_above_it(app, task_id, run,
                                                               tmp_path):
    # the real header's Zip label is a number: the first data row was taken for the header
    path = openpyxl_workbook(tmp_path / "n.xlsx", {"Locations": [
        ["Name", "City", 78701], ["HQ", "Austin", "TX"], ["Depot", "Reno", "NV"]]})
    run(upload, path)
    with app.app_context():
        message = db.session.scalars(select(ImportFile.message)).one()
    assert message.endswith("The header was taken from row 2. Row 1 has cells that are not "
                            "text: C1 (78701). Column labels must be text (in Excel, type a "
                            "number label as '2024).")


def test_a_refused_file_is_kept_with_its_reason_and_stages_nothing(app, task_id, run,
                                                                   tmp_path):
    bad = tmp_path / "notes.xlsx"
    bad.write_text("just text")
    assert run(upload, bad) == 0
    assert rows_of(app, task_id) == {}
    [(name, state, message)] = files_of(app)
    assert (name, state) == ("notes.xlsx", "refused") and message


def test_a_row_the_targets_rules_refuse_fails_alone(app, task_id, run, tmp_path):
    path = openpyxl_workbook(tmp_path / "contracts.xlsx", {"Contracts": [
        ["Short description", "Starts", "Ends", "State"],
        ["Support 2031", dt.date(2031, 1, 1), dt.date(2031, 12, 31), "Active"],
        ["Backwards", dt.date(2031, 6, 1), dt.date(2031, 1, 1), "active"],
        ["Support 2032", dt.date(2032, 1, 1), None, "draft"]]})
    run(upload, path, target="contracts")
    assert run(validation.validate, target="contracts") == {"ready": 3}
    counts = run(lambda di: (lambda b: (b.inserted, b.failed))(publish.publish(di)),
                 target="contracts")
    assert counts == (2, 1)
    rows = rows_of(app, task_id)
    assert rows[3][0] == "needs_attention"
    assert rows[3][1] == ["A contract cannot end (2031-01-01) before it starts (2031-06-01)."]
    assert (rows[2][0], rows[4][0]) == ("published", "published")


def test_the_tasks_customer_fixes_and_validates_but_never_publishes(app, task_id, run, xlsx,
                                                                    make_user, account):
    from onward import AccessDenied, User

    customer = make_user("customer", account=account)
    with app.app_context():
        task = db.session.get(CaseTask, task_id)
        task.contact_id, task.visible_to_customer = customer, True
        db.session.commit()
    run(upload, xlsx([["HQ", "1 Main St", "Santa Clara", "US", "north"]]))
    with app.app_context(), acting_as(db.session.get(User, customer)):
        data_import = staging.import_of_task(db.session.get(CaseTask, task_id))
        row = db.session.scalars(select(StagingRow)).one()
        staging.edit_row(row, {"latitude": "37.35"})
        assert validation.validate(data_import) == {"ready": 1}
        for refused in (publish.publish, staging.restart):
            with pytest.raises(AccessDenied):
                refused(data_import)
        db.session.rollback()


def test_a_choice_rule_limits_a_text_field_to_its_list(app, task_id, run, xlsx):
    with app.app_context():
        db.session.add(ValidationRule(target="locations", kind="choice", field="country",
                                      options={"choices": ["US", "CA"]}, domain_id=1))
        db.session.commit()
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "us", None],
                      ["Depot", "9 Dock Rd", "Paris", "FR", None]]))
    assert run(validation.validate) == {"ready": 1, "needs_attention": 1}
    assert rows_of(app, task_id)[3][1] == ["Country: 'FR' is not one of: US, CA."]


def test_a_reference_rule_needs_the_value_to_name_a_record(app, task_id, run, xlsx, account):
    from onward.plugins.onboarding.customer_services import create_record

    with app.app_context(), acting_as(SYSTEM):
        create_record(OnboardingLocation, account, {"name": "Austin"})
        db.session.add(ValidationRule(target="locations", kind="reference", field="city",
                                      options={"table": "onboarding_location",
                                               "field": "name"}, domain_id=1))
        db.session.commit()
    run(upload, xlsx([["HQ", "1 Main St", "austin", "US", None],
                      ["Depot", "9 Dock Rd", "Reno", "US", None]]))
    assert run(validation.validate) == {"ready": 1, "needs_attention": 1}
    rows = rows_of(app, task_id)
    assert rows[3][1] == ["City: no Location named 'Reno' (by name) in this account."]
    assert rows[2][2]["city"] == "austin"  # the value stays as typed


@pytest.mark.onward_config(IMPORT_CALAMINE_MAX_ROWS=1, IMPORT_MAX_BYTES=50_000)
def test_the_reader_follows_the_import_settings(app, task_id, run, xlsx, monkeypatch):
    from onward.plugins.dataimport.reader import workbook

    seen = {}
    real_read = workbook.read

    def spy(path, **options):
        seen.update(options)
        return real_read(path, **options)

    monkeypatch.setattr(workbook, "read", spy)
    assert run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None]])) == 1
    assert (seen["calamine_max_rows"], seen["max_bytes"]) == (1, 50_000)


class Stop(Exception):
    """The worker dies."""


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2)
def test_publish_reports_each_chunk_and_a_run_that_dies_stays_undoable(app, task_id, run,
                                                                       xlsx):
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None],
                      ["Depot", "9 Dock Rd", "Reno", "US", None],
                      ["Store", "5 Mall Way", "Boise", "US", None]]))
    run(validation.validate)
    seen = []

    def dies_after_the_first_chunk(done, total):
        seen.append((done, total))
        db.session.commit()  # as a job's progress does
        raise Stop

    with app.app_context(), acting_as(SYSTEM):
        data_import = staging.import_of_task(db.session.get(CaseTask, task_id))
        with pytest.raises(Stop):
            publish.publish(data_import, progress=dies_after_the_first_chunk)
    assert seen == [(2, 3)]
    assert run(rowstatus.status_counts) == {"published": 2, "ready": 1}
    with app.app_context(), acting_as(SYSTEM):
        batch = db.session.scalars(select(PublishBatch)).one()
        (first, last), = batch.undo["inserted"]  # consecutive ids kept as one span
        assert (batch.inserted, last - first + 1) == (2, 2)
        publish.undo(batch)
        db.session.commit()
        assert db.session.scalars(select(OnboardingLocation)).all() == []
    assert run(rowstatus.status_counts) == {"ready": 3}
    calls = []
    run(lambda di: publish.publish(di, progress=lambda *step: calls.append(step)))
    assert calls == [(2, 3), (3, 3)]


@pytest.mark.parametrize("step", [validation.validate, publish.publish])
def test_a_fix_saved_while_its_chunk_is_worked_on_waits_for_the_chunk(app, task_id, run, xlsx,
                                                                      monkeypatch, step):
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None]]))
    if step is validation.validate:  # staging validated the row: as if it was fixed since
        run(lambda _: db.session.execute(update(StagingRow).values(status="yet_to_validate")))
    attempts, check = [], validation.check_values

    def a_fix_is_saved_meanwhile(plan, data_import, rows):
        other = db.engine.raw_connection()  # another writer, waiting 0.1 s at most
        try:
            cursor = other.cursor()
            cursor.execute("PRAGMA busy_timeout=100" if db.engine.dialect.name == "sqlite"
                           else "SET lock_timeout = '100ms'")
            cursor.execute("UPDATE dataimport_row SET natural_key = 'fixed'")
            other.commit()
            attempts.append("saved")
        except db.engine.dialect.dbapi.OperationalError:
            other.rollback()
            attempts.append("waited")
        finally:
            other.close()
        return check(plan, data_import, rows)

    monkeypatch.setattr(validation, "check_values", a_fix_is_saved_meanwhile)
    monkeypatch.setattr(publish, "check_values", a_fix_is_saved_meanwhile)
    run(step)
    assert attempts == ["waited"]


def test_a_files_name_is_unique_within_its_import(app, task_id, run, xlsx):
    path = xlsx([["HQ", "1 Main St", "Austin", "US", None]])
    for _ in range(3):
        with open(path, "rb") as stream:
            run(staging.add_file, "../locations.xlsx", stream)
    with open(path, "rb") as stream:
        run(staging.add_file, "README", stream)
    assert [name for name, _, _ in files_of(app)] == [
        "locations.xlsx", "locations_2.xlsx", "locations_3.xlsx", "README"]
