# Identity side: sign-in details carried into tokens, and token families (code replay revokes them).

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('xero_sandbox', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='accesstoken',
            name='family_id',
            field=models.UUIDField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name='accesstoken',
            name='issued_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name='authorizationcode',
            name='auth_time',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='authorizationcode',
            name='family_id',
            field=models.UUIDField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name='authorizationcode',
            name='global_session_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='refreshtoken',
            name='auth_time',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='refreshtoken',
            name='family_id',
            field=models.UUIDField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name='refreshtoken',
            name='global_session_id',
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
