#pragma once

#include <string>

namespace plant {

// "" when `device` (cpu | cuda | cuda:N) can be used, else why not.
std::string check_device(const std::string& device);
std::string libtorch_version();

}  // namespace plant
