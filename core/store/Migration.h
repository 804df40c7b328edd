#pragma once

#include "util/Result.h"

#include <QList>
#include <QString>
#include <QStringList>

class QSqlDatabase;

namespace Slipway {

// One step of the store's schema. Step N of the list brings a database from schema version
// N - 1 to N; a step is never edited once released, a change is a new step at the end.
struct Migration
{
    QString name;
    QStringList statements; // run in order, in one transaction with the version bump
};

// The steps this build of Slipway knows, oldest first.
const QList<Migration> &storeMigrations();

// The schema version a database is at (PRAGMA user_version; 0 for a new file).
Result<int> schemaVersion(QSqlDatabase &database);

// Refuses a database at a version beyond `migrations`: it was written by a newer Slipway.
Result<void> checkSchemaKnown(QSqlDatabase &database, const QList<Migration> &migrations);

// Applies the steps the database lacks, each in its own transaction, and records them in
// `schema_migrations`. A database at a version beyond `migrations` is refused untouched.
Result<void> migrateSchema(QSqlDatabase &database, const QList<Migration> &migrations);

} // namespace Slipway
