#include "read_options.h"

namespace crowdsift::cli {

void ReadArgs::addTo(CLI::App* command)
{
    command->add_option("--format", format, "Dataset format: auto|peerannot|csv|matrix|cifar10h|rodrigues|counts")
        ->capture_default_str();
    command->add_option("--truth", truth,
                        "Ground truth for evaluation only: a .npy label vector or a task,label CSV");
    command->add_flag("--truth-from-folders", truthFromFolders,
                      "peerannot: take ground truth from the train/<class>/ folder of each image");
    command
        ->add_option("--classes", classes,
                     "Number of classes, when the data cannot tell (needed above " + std::to_string(kMaxInferredClasses)
                         + "; at most " + std::to_string(kMaxClasses) + ")")
        ->check(CLI::Range(0, kMaxClasses));
    command->add_flag("--complementary-matrix", complementaryMatrix,
                      "Label matrix: every label is complementary ('not class k'), as the ACL datasets' cl_labels");
}

ReadOptions ReadArgs::toOptions() const
{
    ReadOptions options;
    options.format = parseFormat(format);
    options.truthPath = truth;
    options.truthFromFolders = truthFromFolders;
    options.classCount = classes;
    options.complementary = complementaryMatrix;
    return options;
}

}  // namespace crowdsift::cli
