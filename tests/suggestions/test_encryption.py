"""Constituents' names and phones at rest (liaison.crypto): ciphertext in the database,
plain values through the ORM, the keyed phone index on every write path, key rotation,
the deploy checks and the migration that encrypted the rows already stored."""

import hashlib
import importlib
import io
import types

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from liaison import crypto
from stations.models import Reception
from suggestions import receptions
from suggestions.models import ReceptionMatter, Suggestion
from tests.factories import DeputyFactory, place

PHONE = "13800138000"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()

migration = importlib.import_module("suggestions.migrations.0009_encrypt_personal_data")


def stored(model, pk) -> tuple[str, str, str]:
    """(name, phone, phone_hmac) as the database holds them, read past the ORM."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        sql = f"SELECT name, phone, phone_hmac FROM {table} WHERE {column} = %s"  # noqa: S608
        cursor.execute(sql, [pk])
        return cursor.fetchone()


@pytest.fixture
def matter(station, roads, admin_user):
    """A matter answered on the spot at a Xidu reception: it keeps its own name and phone."""
    deputy = DeputyFactory(code="ENC001", name="陈代表", region=station.region)
    place(deputy, station)
    reception = receptions.reception_log(
        station=station,
        date=timezone.localdate(),
        deputies=[deputy],
        visitors=1,
        matters=[
            {
                "content": "村口路灯不亮",
                "category": roads,
                "handling": "answered_on_spot",
                "answer": "已联系电工今晚修复。",
                "name": "李四",
                "phone": "139 0013 9000",
            }
        ],
        recorded_by=admin_user,
        source=Reception.Source.PAPER_LEDGER,
    )
    return reception.matters.get()


# --- At rest: ciphertext; through the ORM: the plain value -------------------------------------


def test_the_database_holds_tokens_and_the_orm_the_plain_name_and_phone(submit):
    suggestion = submit(name="张三", phone=PHONE)
    name, phone, phone_hmac = stored(Suggestion, suggestion.pk)
    for token in (name, phone):
        assert token.startswith("gAAAAA")  # a Fernet token
        assert "张三" not in token and PHONE not in token and "8000" not in token
    assert phone_hmac == crypto.phone_index(PHONE) and PHONE not in phone_hmac
    again = Suggestion.objects.get(pk=suggestion.pk)
    assert (again.name, again.phone) == ("张三", PHONE)
    assert Suggestion.objects.values_list("phone", flat=True).get(pk=suggestion.pk) == PHONE


def test_no_column_of_the_table_holds_the_name_or_number_in_clear(submit):
    suggestion = submit(name="张三", phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM suggestions_suggestion WHERE case_ptr_id = %s", [suggestion.pk]
        )
        row = " ".join(str(value) for value in cursor.fetchone())
    assert "张三" not in row and PHONE not in row


def test_reception_matters_are_encrypted_too(matter):
    name, phone, phone_hmac = stored(ReceptionMatter, matter.pk)
    assert "李四" not in name and "13900139000" not in phone
    assert phone_hmac == crypto.phone_index("13900139000")
    assert ReceptionMatter.objects.values_list("name", "phone").get(pk=matter.pk) == (
        "李四",
        "13900139000",
    )


def test_the_same_number_twice_is_two_ciphertexts_and_one_index(submit):
    first, second = submit(phone=PHONE), submit(phone=PHONE, title="另一件")
    one, two = stored(Suggestion, first.pk), stored(Suggestion, second.pk)
    assert one[1] != two[1]
    assert one[2] == two[2]
    assert set(Suggestion.objects.filter(phone_hmac=crypto.phone_index("+86 138-0013-8000"))) == {
        first,
        second,
    }


def test_an_empty_name_and_phone_stay_empty(submit):
    suggestion = submit(channel="reception", name="", phone="")
    assert stored(Suggestion, suggestion.pk) == ("", "", "")


def test_max_length_limits_the_plain_value_not_the_token(submit):
    suggestion = submit(name="欧" * 50)
    assert len(stored(Suggestion, suggestion.pk)[0]) > 50
    suggestion.name = "欧" * 51
    with pytest.raises(ValidationError) as caught:
        suggestion.full_clean(exclude=["region", "category", "station", "deputy", "kind"])
    assert "name" in caught.value.message_dict


# --- Nobody filters ciphertext ---------------------------------------------------------------


@pytest.mark.parametrize(
    "lookup",
    [
        {"phone": PHONE},
        {"phone__endswith": "8000"},
        {"phone__in": [PHONE]},
        {"name__icontains": "张"},
        {"name": "张三"},
        {"phone__startswith": "138"},
    ],
)
def test_the_encrypted_columns_refuse_every_search(db, lookup):
    with pytest.raises(FieldError, match="encrypted"):
        Suggestion.objects.filter(**lookup)
    with pytest.raises(FieldError, match="encrypted"):
        ReceptionMatter.objects.exclude(**lookup)


def test_only_empty_and_null_tests_are_allowed(submit):
    with_phone = submit(phone=PHONE)
    without = submit(channel="reception", phone="", title="没留电话")
    assert set(Suggestion.objects.filter(phone="")) == {without}
    assert set(Suggestion.objects.exclude(phone="")) == {with_phone}
    assert not Suggestion.objects.filter(phone__isnull=True).exists()


# --- The index follows every write path -------------------------------------------------------


def test_save_with_update_fields_refreshes_the_index(submit):
    suggestion = submit(phone=PHONE)
    suggestion.phone = "13900139000"
    suggestion.save(update_fields=["phone"])
    assert stored(Suggestion, suggestion.pk)[2] == crypto.phone_index("13900139000")


def test_update_and_bulk_update_refresh_the_index(submit):
    first, second = submit(phone=PHONE), submit(phone=PHONE, title="另一件")
    Suggestion.objects.filter(pk=first.pk).update(phone="13900139000")
    assert stored(Suggestion, first.pk)[2] == crypto.phone_index("13900139000")
    second.phone = "13700137000"
    Suggestion.objects.bulk_update([second], ["phone"])
    assert stored(Suggestion, second.pk)[2] == crypto.phone_index("13700137000")
    Suggestion.objects.filter(pk=first.pk).update(phone="")
    assert stored(Suggestion, first.pk)[1:] == ("", "")


def test_bulk_create_fills_the_index(matter):
    copy = ReceptionMatter(
        reception=matter.reception,
        position=2,
        content="另一件事",
        category=matter.category,
        handling="answered_on_spot",
        answer="已答复",
        name="王五",
        phone="13600136000",
    )
    (made,) = ReceptionMatter.objects.bulk_create([copy])
    name, phone, phone_hmac = stored(ReceptionMatter, made.pk)
    assert "王五" not in name and "13600136000" not in phone
    assert phone_hmac == crypto.phone_index("13600136000")


# --- Keys: rotation, a lost key, the HMAC key, the deploy checks --------------------------------


def test_a_new_key_reads_old_rows_and_reencrypting_retires_the_old_key(submit, settings):
    settings.LIAISON_FIELD_KEYS = [OLD_KEY]
    suggestion = submit(name="张三", phone=PHONE)
    written_with_old = stored(Suggestion, suggestion.pk)

    settings.LIAISON_FIELD_KEYS = [NEW_KEY, OLD_KEY]  # the new key first: it encrypts
    assert Suggestion.objects.get(pk=suggestion.pk).phone == PHONE
    call_command("reencrypt_personal_data", stdout=io.StringIO())
    rewritten = stored(Suggestion, suggestion.pk)
    assert rewritten[:2] != written_with_old[:2]
    assert Fernet(NEW_KEY).decrypt(rewritten[1].encode()).decode() == PHONE

    settings.LIAISON_FIELD_KEYS = [NEW_KEY]  # the old key dropped
    again = Suggestion.objects.get(pk=suggestion.pk)
    assert (again.name, again.phone) == ("张三", PHONE)


def test_a_row_no_configured_key_opens_is_an_error_not_garbage(submit, settings):
    settings.LIAISON_FIELD_KEYS = [OLD_KEY]
    suggestion = submit(phone=PHONE)
    settings.LIAISON_FIELD_KEYS = [NEW_KEY]
    with pytest.raises(crypto.DecryptionError, match="LIAISON_FIELD_KEYS"):
        Suggestion.objects.get(pk=suggestion.pk)


def test_a_new_hmac_key_finds_old_rows_after_reencrypting(submit, settings):
    settings.LIAISON_HMAC_KEY = "a" * 40
    suggestion = submit(phone=PHONE)
    settings.LIAISON_HMAC_KEY = "b" * 40
    assert not Suggestion.objects.filter(phone_hmac=crypto.phone_index(PHONE)).exists()
    call_command("reencrypt_personal_data", stdout=io.StringIO())
    assert Suggestion.objects.get(phone_hmac=crypto.phone_index(PHONE)) == suggestion


def test_without_keys_development_derives_them_from_the_secret_key(settings):
    settings.LIAISON_FIELD_KEYS = []
    settings.LIAISON_HMAC_KEY = ""
    token = crypto.encrypt(PHONE)
    index = crypto.phone_index(PHONE)
    settings.SECRET_KEY = "another-development-key-of-some-length-0123456789"
    assert crypto.phone_index(PHONE) != index  # derived from the secret key
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_check_deploy_reports_missing_weak_or_invalid_keys(settings):
    settings.LIAISON_FIELD_KEYS = []
    settings.LIAISON_HMAC_KEY = ""
    assert {e.id for e in crypto.check_keys()} == {"liaison.E101", "liaison.E103"}
    settings.LIAISON_FIELD_KEYS = ["not-a-key"]
    settings.LIAISON_HMAC_KEY = "short"
    assert {e.id for e in crypto.check_keys()} == {"liaison.E102", "liaison.E103"}
    settings.LIAISON_FIELD_KEYS = [NEW_KEY, OLD_KEY]
    settings.LIAISON_HMAC_KEY = "k" * 43
    assert crypto.check_keys() == []


# --- The data migration on rows stored before it ------------------------------------------------


def test_the_migration_encrypts_plain_rows_once_and_decrypts_them_backwards(submit, matter):
    from django.apps import apps

    suggestion = submit(name="张三", phone=PHONE)
    with connection.cursor() as cursor:  # as 0008 left them: plain text, no index
        cursor.execute(
            "UPDATE suggestions_suggestion SET name = '张三', phone = %s, phone_hmac = '' "
            "WHERE case_ptr_id = %s",
            [PHONE, suggestion.pk],
        )
        cursor.execute(
            "UPDATE suggestions_receptionmatter SET name = '李四', phone = '13900139000', "
            "phone_hmac = '' WHERE id = %s",
            [matter.pk],
        )
    editor = types.SimpleNamespace(connection=connection)

    migration.encrypt_rows(apps, editor)
    name, phone, phone_hmac = stored(Suggestion, suggestion.pk)
    assert crypto.decrypt(name) == "张三" and crypto.decrypt(phone) == PHONE
    assert phone_hmac == crypto.phone_index(PHONE)
    assert Suggestion.objects.get(phone_hmac=crypto.phone_index(PHONE)).name == "张三"
    assert ReceptionMatter.objects.get(pk=matter.pk).phone == "13900139000"

    migration.encrypt_rows(apps, editor)  # a second run (a resumed one) changes nothing
    assert stored(Suggestion, suggestion.pk) == (name, phone, phone_hmac)

    migration.decrypt_rows(apps, editor)
    assert stored(Suggestion, suggestion.pk) == ("张三", PHONE, "")
    assert stored(ReceptionMatter, matter.pk) == ("李四", "13900139000", "")


def test_the_migration_works_in_small_batches(submit):
    made = [submit(phone=f"1380013800{i}", title=f"第{i}件") for i in range(5)]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE suggestions_suggestion SET phone = '13800138000', phone_hmac = ''")
    changed = migration.convert_table(
        connection, "suggestions_suggestion", "case_ptr_id", migration._sealed, batch=2
    )
    assert changed == len(made)
    assert Suggestion.objects.filter(phone_hmac=crypto.phone_index(PHONE)).count() == 5


# --- Other hashes of a phone -------------------------------------------------------------------


def test_the_api_idempotency_key_is_a_keyed_hash_not_a_plain_one(station, roads):
    body = {
        "station": station.code,
        "category": roads.code,
        "title": "村口道路坑洼",
        "content": "西渡镇梅花村村口道路坑洼积水，请尽快修复。",
        "phone": PHONE,
        "consent": True,
    }
    response = APIClient().post(
        reverse("suggestions:api_submit"), body, format="json", headers={"Idempotency-Key": "1"}
    )
    assert response.status_code == 201, response.content
    key = Suggestion.objects.get().submission_key
    # A plain SHA-256 of a guessable client key and the number gives the number back to
    # anyone who tries the ~10⁹ mobile numbers; the keyed hash does not.
    assert key != "api:" + hashlib.sha256(f"1\n{PHONE}".encode()).hexdigest()[:60]
    assert key == "api:" + crypto.keyed_hash(f"1\n{PHONE}")[:60]
