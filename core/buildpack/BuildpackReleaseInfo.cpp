#include "buildpack/BuildpackReleaseInfo.h"

#include "release/Procfile.h"

#include <QStringDecoder>

#include <yaml-cpp/yaml.h>

#include <exception>
#include <string>

namespace Slipway {

namespace {

constexpr qsizetype MaximumAddonTextLength = 200;

QString fromYaml(const std::string &text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

QString quoted(const QString &text)
{
    constexpr qsizetype shown = 60;
    if (text.size() <= shown)
        return u'"' + text + u'"';
    return u'"' + text.left(shown) + QStringLiteral("…\"");
}

QString describeKind(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Sequence:
        return QStringLiteral("a list");
    case YAML::NodeType::Map:
        return QStringLiteral("a map");
    case YAML::NodeType::Scalar:
        return QStringLiteral("the text %1").arg(quoted(fromYaml(node.Scalar())));
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        break;
    }
    return QStringLiteral("empty");
}

// Flow-style text of an add-on entry for the log. Stops once the text is long enough, so
// aliases that expand exponentially ("billion laughs") cost no more than a short walk.
void renderFlow(const YAML::Node &node, QString &out)
{
    if (out.size() > MaximumAddonTextLength)
        return;
    switch (node.Type()) {
    case YAML::NodeType::Scalar:
        out += fromYaml(node.Scalar());
        return;
    case YAML::NodeType::Sequence: {
        out += u'[';
        bool first = true;
        for (const YAML::Node &child : node) {
            if (out.size() > MaximumAddonTextLength)
                return;
            if (!first)
                out += QStringLiteral(", ");
            first = false;
            renderFlow(child, out);
        }
        out += u']';
        return;
    }
    case YAML::NodeType::Map: {
        out += u'{';
        bool first = true;
        for (const auto &entry : node) {
            if (out.size() > MaximumAddonTextLength)
                return;
            if (!first)
                out += QStringLiteral(", ");
            first = false;
            renderFlow(entry.first, out);
            out += QStringLiteral(": ");
            renderFlow(entry.second, out);
        }
        out += u'}';
        return;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        out += u'~';
        return;
    }
}

QString addonText(const YAML::Node &node)
{
    if (node.IsScalar())
        return fromYaml(node.Scalar()).trimmed();
    // app.json style: {plan: heroku-postgresql:mini, as: DATABASE}; the plan says it all.
    if (node.IsMap()) {
        for (const auto &entry : node) {
            if (entry.first.IsScalar() && entry.first.Scalar() == "plan" &&
                entry.second.IsScalar()) {
                return fromYaml(entry.second.Scalar()).trimmed();
            }
        }
    }
    QString text;
    renderFlow(node, text);
    if (text.size() > MaximumAddonTextLength)
        text = text.left(MaximumAddonTextLength) + QStringLiteral("…");
    return text;
}

// Everything except syntax errors, which yaml-cpp reports as exceptions.
Result<BuildpackReleaseInfo> interpret(const YAML::Node &root)
{
    BuildpackReleaseInfo info;
    if (!root || root.IsNull())
        return info;
    if (!root.IsMap()) {
        return failure(QStringLiteral("printed %1 where a YAML map with default_process_types, "
                                      "config_vars and addons was expected.")
                           .arg(describeKind(root)));
    }
    for (const auto &entry : root) {
        if (!entry.first.IsScalar())
            continue;
        const std::string &key = entry.first.Scalar();
        const YAML::Node &value = entry.second;
        if (value.IsNull())
            continue;

        if (key == "default_process_types") {
            if (!value.IsMap()) {
                return failure(QStringLiteral("printed default_process_types as %1; it must be "
                                              "a map of process type to command, such as "
                                              "\"web: npm start\".")
                                   .arg(describeKind(value)));
            }
            for (const auto &process : value) {
                if (!process.first.IsScalar()) {
                    return failure(QStringLiteral("printed a default process type whose name is "
                                                  "%1 instead of a name.")
                                       .arg(describeKind(process.first)));
                }
                const QString name = fromYaml(process.first.Scalar());
                if (Result<void> valid = Procfile::validateName(name); !valid) {
                    return failure(QStringLiteral("printed an invalid default process type: %1.")
                                       .arg(valid.error().message));
                }
                if (!process.second.IsNull() && !process.second.IsScalar()) {
                    return failure(QStringLiteral("printed the default process type %1 as %2; "
                                                  "it must be a command.")
                                       .arg(quoted(name), describeKind(process.second)));
                }
                const QString command = process.second.IsNull()
                                            ? QString()
                                            : fromYaml(process.second.Scalar()).trimmed();
                if (command.isEmpty()) {
                    return failure(QStringLiteral("printed the default process type %1 without "
                                                  "a command.")
                                       .arg(quoted(name)));
                }
                info.defaultProcessTypes.insert(name, command);
            }
        } else if (key == "config_vars") {
            if (!value.IsMap()) {
                return failure(QStringLiteral("printed config_vars as %1; it must be a map of "
                                              "name to value, such as \"NODE_ENV: production\".")
                                   .arg(describeKind(value)));
            }
            for (const auto &variable : value) {
                if (!variable.first.IsScalar()) {
                    return failure(QStringLiteral("printed a config var whose name is %1 instead "
                                                  "of a name.")
                                       .arg(describeKind(variable.first)));
                }
                const QString name = fromYaml(variable.first.Scalar());
                if (Result<void> valid = ConfigVar::validateName(name); !valid) {
                    return failure(QStringLiteral("printed an invalid config var. %1")
                                       .arg(valid.error().message));
                }
                if (!variable.second.IsNull() && !variable.second.IsScalar()) {
                    return failure(QStringLiteral("printed the config var %1 as %2; it must be a "
                                                  "single value.")
                                       .arg(name, describeKind(variable.second)));
                }
                // Numbers and booleans keep the text the buildpack wrote ("0755", "yes").
                const QString text =
                    variable.second.IsNull() ? QString() : fromYaml(variable.second.Scalar());
                if (Result<void> valid = ConfigVar::validateValue(text, name); !valid) {
                    return failure(QStringLiteral("printed an invalid config var. %1")
                                       .arg(valid.error().message));
                }
                info.configVars.insert(name, text);
            }
        } else if (key == "addons") {
            // Only logged, so any shape is accepted as long as it can be shown.
            if (value.IsSequence()) {
                for (const YAML::Node &addon : value) {
                    if (const QString text = addonText(addon); !text.isEmpty())
                        info.addons.append(text);
                }
            } else if (const QString text = addonText(value); !text.isEmpty()) {
                info.addons.append(text);
            }
        }
    }
    return info;
}

} // namespace

Result<BuildpackReleaseInfo> BuildpackReleaseInfo::parse(const QByteArray &yaml,
                                                         const QString &buildpackName)
{
    const QString prefix = QStringLiteral("buildpack '%1': bin/release ").arg(buildpackName);
    if (yaml.trimmed().isEmpty())
        return BuildpackReleaseInfo{};
    if (yaml.size() > MaximumSize) {
        return failure(prefix +
                       QStringLiteral("printed %1 bytes; at most %2 bytes of YAML are accepted.")
                           .arg(yaml.size())
                           .arg(MaximumSize));
    }
    // YAML is Unicode text; yaml-cpp would pass broken bytes on into commands and values.
    QStringDecoder decoder(QStringDecoder::Utf8);
    [[maybe_unused]] const QString decoded = decoder.decode(yaml);
    if (decoder.hasError())
        return failure(prefix + QStringLiteral("printed text that is not valid UTF-8."));

    try {
        const YAML::Node root = YAML::Load(std::string(yaml.constData(), size_t(yaml.size())));
        Result<BuildpackReleaseInfo> info = interpret(root);
        if (!info)
            return failure(prefix + info.error().message);
        return info;
    } catch (const YAML::ParserException &e) {
        const QString where = e.mark.is_null() ? QString()
                                               : QStringLiteral("line %1, column %2: ")
                                                     .arg(e.mark.line + 1)
                                                     .arg(e.mark.column + 1);
        return failure(prefix + QStringLiteral("printed invalid YAML: ") + where + fromYaml(e.msg) +
                       u'.');
    } catch (const std::exception &e) {
        return failure(prefix + QStringLiteral("printed YAML that could not be read: ") +
                       QString::fromUtf8(e.what()) + u'.');
    } catch (...) {
        return failure(prefix + QStringLiteral("printed YAML that could not be read."));
    }
}

} // namespace Slipway
