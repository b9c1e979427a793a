"""Encrypt the names and phones already stored, and fill the phone index (HMAC).

Rows are read and written with plain SQL in batches of ``BATCH`` by primary key, each
batch in its own transaction: a million opinions are not one long transaction holding
every row, and a run stopped halfway resumes where it stopped, since a value that is
already a token is left as it is. Backwards, the values are decrypted again (0008 then
turns the columns back into varchar).

The reveal log's rows get the region of the item they name (new in 0008), so the log
stays scoped like the items.
"""

from django.db import migrations, transaction

from liaison import crypto

BATCH = 1000


def _open(value):
    """(plain value, whether it was a token)."""
    if value and crypto.is_encrypted(value):
        return crypto.decrypt(value), True
    return value or "", False


def _sealed(name, phone, hmac):
    plain_name, name_sealed = _open(name)
    plain_phone, phone_sealed = _open(phone)
    return (
        name if name_sealed or not plain_name else crypto.encrypt(plain_name),
        phone if phone_sealed or not plain_phone else crypto.encrypt(plain_phone),
        crypto.phone_index(plain_phone),
    )


def _unsealed(name, phone, hmac):
    return _open(name)[0], _open(phone)[0], ""


def convert_table(connection, table, pk, convert, *, batch=BATCH) -> int:
    """Rewrite (name, phone, phone_hmac) of every row of ``table`` through ``convert``;
    returns how many rows changed."""
    qn = connection.ops.quote_name
    select = (
        f"SELECT {qn(pk)}, {qn('name')}, {qn('phone')}, {qn('phone_hmac')} FROM {qn(table)} "
        f"WHERE {qn(pk)} > %s ORDER BY {qn(pk)} LIMIT %s"
    )
    update = (
        f"UPDATE {qn(table)} SET {qn('name')} = %s, {qn('phone')} = %s, "
        f"{qn('phone_hmac')} = %s WHERE {qn(pk)} = %s"
    )
    # PostgreSQL: the whole batch in one statement (a round trip per row is what costs).
    update_from = (
        f"UPDATE {qn(table)} SET {qn('name')} = v.name, {qn('phone')} = v.phone, "
        f"{qn('phone_hmac')} = v.hmac FROM (VALUES {{rows}}) AS v(name, phone, hmac, pk) "
        f"WHERE {qn(table)}.{qn(pk)} = v.pk"
    )
    changed, last = 0, 0
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(select, [last, batch])
            rows = cursor.fetchall()
            if not rows:
                return changed
            updates = []
            for row_pk, *values in rows:
                new = convert(*values)
                if tuple(new) != tuple(v or "" for v in values):
                    updates.append((*new, row_pk))
            if updates and connection.vendor == "postgresql":
                rows_sql = ", ".join(["(%s, %s, %s, %s)"] * len(updates))
                cursor.execute(
                    update_from.format(rows=rows_sql), [v for row in updates for v in row]
                )
            elif updates:
                cursor.executemany(update, updates)
            changed += len(updates)
            last = rows[-1][0]


def _tables(apps):
    for label in ("Suggestion", "ReceptionMatter"):
        model = apps.get_model("suggestions", label)
        yield model._meta.db_table, model._meta.pk.column


def encrypt_rows(apps, schema_editor):
    connection = schema_editor.connection
    for table, pk in _tables(apps):
        convert_table(connection, table, pk, _sealed)
    Access = apps.get_model("suggestions", "PersonalDataAccess")
    Case = apps.get_model("suggestions", "Case")
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(Access._meta.db_table)} SET {qn('region_id')} = ("
            f"SELECT {qn('region_id')} FROM {qn(Case._meta.db_table)} "
            f"WHERE {qn(Case._meta.db_table)}.{qn('id')} = "
            f"{qn(Access._meta.db_table)}.{qn('case_id')}) "
            f"WHERE {qn('region_id')} IS NULL AND {qn('case_id')} IS NOT NULL"
        )


def decrypt_rows(apps, schema_editor):
    for table, pk in _tables(apps):
        convert_table(schema_editor.connection, table, pk, _unsealed)


class Migration(migrations.Migration):
    # Each batch commits on its own (see the docstring).
    atomic = False

    dependencies = [
        ("suggestions", "0008_personal_data_encryption"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
