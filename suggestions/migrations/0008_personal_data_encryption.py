"""Constituents' names and phones encrypted at rest (liaison.crypto), the phone index
(HMAC) that exact lookups use instead, and the personal-data logs.

The columns become ``text`` (a token is longer than the plain value); the btree and
trigram indexes on the plain phone go, since ciphertext cannot be searched. The rows
themselves are encrypted by the next migration (0009), in batches.
"""

import django.core.validators
import django.db.models.deletion
import liaison.crypto
from django.conf import settings
from django.db import migrations, models


TRIGRAM_INDEX = "suggestion_phone_trgm_idx"


def drop_trigram_index(apps, schema_editor):
    # Migration 0005's index for "last four digits" searches: meaningless on ciphertext.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


def restore_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} "
            "ON suggestions_suggestion USING gin (phone gin_trgm_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('liaison', '0004_jobs'),
        ('stations', '0003_deputy_search_indexes'),
        ('suggestions', '0007_assignment_open_due_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_trigram_index, restore_trigram_index, elidable=False),
        migrations.CreateModel(
            name='PersonalDataRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('export', 'Export'), ('erase', 'Erasure')], max_length=10, verbose_name='kind')),
                ('phone_hmac', models.CharField(db_index=True, max_length=64, verbose_name='phone index')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='reason')),
                ('suggestions', models.JSONField(blank=True, default=list, verbose_name='opinions')),
                ('matters', models.JSONField(blank=True, default=list, verbose_name='reception matters')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='time')),
            ],
            options={
                'verbose_name': 'personal data request',
                'verbose_name_plural': 'personal data requests',
                'ordering': ['-created_at'],
            },
        ),
        migrations.RemoveIndex(
            model_name='suggestion',
            name='suggestion_phone_idx',
        ),
        migrations.AddField(
            model_name='personaldataaccess',
            name='matter',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='data_accesses', to='suggestions.receptionmatter', verbose_name='reception matter'),
        ),
        migrations.AddField(
            model_name='personaldataaccess',
            name='region',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='liaison.region', verbose_name='region'),
        ),
        migrations.AddField(
            model_name='receptionmatter',
            name='phone_hmac',
            field=liaison.crypto.PhoneIndexField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='suggestion',
            name='phone_hmac',
            field=liaison.crypto.PhoneIndexField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='personaldataaccess',
            name='case',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='data_accesses', to='suggestions.case', verbose_name='case'),
        ),
        migrations.AlterField(
            model_name='personaldataaccess',
            name='field',
            field=models.CharField(choices=[('phone', 'mobile'), ('name', 'name')], max_length=30, verbose_name='field'),
        ),
        migrations.AlterField(
            model_name='receptionmatter',
            name='name',
            field=liaison.crypto.EncryptedCharField(blank=True, max_length=50, verbose_name="constituent's name"),
        ),
        migrations.AlterField(
            model_name='receptionmatter',
            name='phone',
            field=liaison.crypto.EncryptedCharField(blank=True, max_length=11, validators=[django.core.validators.RegexValidator('^1[3-9][0-9]{9}$', 'Enter a mainland mobile number: 11 digits starting with 1.')], verbose_name='mobile'),
        ),
        migrations.AlterField(
            model_name='suggestion',
            name='name',
            field=liaison.crypto.EncryptedCharField(blank=True, max_length=50, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='suggestion',
            name='phone',
            field=liaison.crypto.EncryptedCharField(blank=True, max_length=11, validators=[django.core.validators.RegexValidator('^1[3-9][0-9]{9}$', 'Enter a mainland mobile number: 11 digits starting with 1.')], verbose_name='mobile'),
        ),
        migrations.AddIndex(
            model_name='receptionmatter',
            index=models.Index(fields=['phone_hmac'], name='matter_phone_hmac_idx'),
        ),
        migrations.AddIndex(
            model_name='suggestion',
            index=models.Index(fields=['phone_hmac'], name='suggestion_phone_hmac_idx'),
        ),
        migrations.AddConstraint(
            model_name='personaldataaccess',
            constraint=models.CheckConstraint(condition=models.Q(('case__isnull', False), ('matter__isnull', False), _connector='OR'), name='personal_data_access_names_an_item'),
        ),
        migrations.AddField(
            model_name='personaldatarequest',
            name='region',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='liaison.region', verbose_name='region'),
        ),
        migrations.AddField(
            model_name='personaldatarequest',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
    ]
