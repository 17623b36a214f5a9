// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DatanetRegistry} from "./DatanetRegistry.sol";

/// @title Models and the exact data they were trained on
/// @notice A model has a unique name, a base model and an owner (its registrant). Each version
/// records the artifact's content id, the training-config hash and the datanet versions it was
/// trained on (its lineage). The lineage must not be empty and every datanet root is checked
/// against DatanetRegistry, so a version can only cite data that was published. For each datanet
/// the version records whether the model's owner might train on it (DatanetRegistry.mayTrain at
/// registration); InferenceSettlement pays only for versions whose whole lineage was licensed, and
/// proves each contributor it pays against the roots of this lineage. Versions count from 1 and
/// never change.
contract ModelRegistry {
    struct DatanetRef {
        uint256 datanetId;
        uint32 version;
        bytes32 root;
    }

    struct Model {
        address owner;
        uint32 versionCount;
        uint64 registeredAt;
        string name;
        string baseModel;
    }

    struct ModelVersion {
        string artifactCid;
        bytes32 configHash;
        uint64 registeredAt;
        /// @dev The owner might train on every datanet of the lineage.
        bool licensed;
        DatanetRef[] datanets;
        bool[] access;
    }

    DatanetRegistry public immutable datanetRegistry;

    /// @notice Models registered so far; ids run from 1 to modelCount.
    uint256 public modelCount;

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 modelId => mapping(uint32 version => ModelVersion)) private _versions;
    mapping(bytes32 nameHash => uint256 modelId) private _idByName;

    event ModelRegistered(uint256 indexed modelId, address indexed owner, string name, string baseModel);
    event ModelVersionRegistered(uint256 indexed modelId, uint32 indexed version, string artifactCid, bytes32 configHash);
    /// @notice One per datanet version a model version was trained on.
    event ModelVersionDatanet(
        uint256 indexed modelId, uint32 indexed version, uint256 indexed datanetId, uint32 datanetVersion, bytes32 root
    );
    /// @notice Whether the model's owner might train on the datanet (owner, curator, granted or open).
    event DatanetAccessRecorded(uint256 indexed modelId, uint32 indexed version, uint256 indexed datanetId, bool licensed);
    event ModelOwnershipTransferred(uint256 indexed modelId, address indexed previousOwner, address indexed newOwner);

    error ZeroAddress();
    error EmptyName();
    error EmptyArtifactCid();
    error EmptyLineage();
    error NameTaken(string name, uint256 modelId);
    error UnknownModel(uint256 modelId);
    error UnknownModelVersion(uint256 modelId, uint32 version);
    error NotModelOwner(uint256 modelId, address account);
    error UnknownDatanetVersion(uint256 datanetId, uint32 version);
    error DatanetRootMismatch(uint256 datanetId, uint32 version, bytes32 published, bytes32 given);

    constructor(DatanetRegistry datanetRegistry_) {
        if (address(datanetRegistry_) == address(0)) revert ZeroAddress();
        datanetRegistry = datanetRegistry_;
    }

    function registerModel(string calldata name, string calldata baseModel) external returns (uint256 modelId) {
        if (bytes(name).length == 0) revert EmptyName();
        bytes32 key = keccak256(bytes(name));
        uint256 existing = _idByName[key];
        if (existing != 0) revert NameTaken(name, existing);
        modelId = ++modelCount;
        _idByName[key] = modelId;
        Model storage m = _models[modelId];
        m.owner = msg.sender;
        m.registeredAt = uint64(block.timestamp);
        m.name = name;
        m.baseModel = baseModel;
        emit ModelRegistered(modelId, msg.sender, name, baseModel);
    }

    /// @notice Registers the next version of a model (owner only). `datanets` (the lineage) must not
    /// be empty. Gas grows with `datanets.length`.
    function registerVersion(
        uint256 modelId,
        string calldata artifactCid,
        bytes32 configHash,
        DatanetRef[] calldata datanets
    ) external returns (uint32 version) {
        Model storage m = _existing(modelId);
        if (msg.sender != m.owner) revert NotModelOwner(modelId, msg.sender);
        if (bytes(artifactCid).length == 0) revert EmptyArtifactCid();
        if (datanets.length == 0) revert EmptyLineage();

        version = ++m.versionCount;
        ModelVersion storage v = _versions[modelId][version];
        v.artifactCid = artifactCid;
        v.configHash = configHash;
        v.registeredAt = uint64(block.timestamp);
        emit ModelVersionRegistered(modelId, version, artifactCid, configHash);

        bool licensed = true;
        for (uint256 i = 0; i < datanets.length; ++i) {
            DatanetRef calldata ref = datanets[i];
            bytes32 published = datanetRegistry.versionRoot(ref.datanetId, ref.version);
            if (published == bytes32(0)) revert UnknownDatanetVersion(ref.datanetId, ref.version);
            if (published != ref.root) revert DatanetRootMismatch(ref.datanetId, ref.version, published, ref.root);
            v.datanets.push(ref);
            bool access = datanetRegistry.mayTrain(ref.datanetId, msg.sender);
            v.access.push(access);
            licensed = licensed && access;
            emit ModelVersionDatanet(modelId, version, ref.datanetId, ref.version, ref.root);
            emit DatanetAccessRecorded(modelId, version, ref.datanetId, access);
        }
        v.licensed = licensed;
    }

    function transferModelOwnership(uint256 modelId, address newOwner) external {
        Model storage m = _existing(modelId);
        if (msg.sender != m.owner) revert NotModelOwner(modelId, msg.sender);
        if (newOwner == address(0)) revert ZeroAddress();
        m.owner = newOwner;
        emit ModelOwnershipTransferred(modelId, msg.sender, newOwner);
    }

    // ---------------------------------------------------------------- views

    function getModel(uint256 modelId)
        external
        view
        returns (address owner, string memory name, string memory baseModel, uint32 versionCount, uint64 registeredAt)
    {
        Model storage m = _existing(modelId);
        return (m.owner, m.name, m.baseModel, m.versionCount, m.registeredAt);
    }

    function getModelVersion(uint256 modelId, uint32 version)
        external
        view
        returns (string memory artifactCid, bytes32 configHash, DatanetRef[] memory datanets, uint64 registeredAt)
    {
        _existing(modelId);
        ModelVersion storage v = _versions[modelId][version];
        if (v.registeredAt == 0) revert UnknownModelVersion(modelId, version);
        return (v.artifactCid, v.configHash, v.datanets, v.registeredAt);
    }

    /// @notice Per datanet of the version's lineage, whether the owner might train on it when the
    /// version was registered; `licensed` when all of them.
    function lineageAccess(uint256 modelId, uint32 version) external view returns (bool[] memory access, bool licensed) {
        ModelVersion storage v = _versions[modelId][version];
        if (v.registeredAt == 0) revert UnknownModelVersion(modelId, version);
        return (v.access, v.licensed);
    }

    /// @notice The root of the lineage's `index`-th datanet version and whether the whole lineage
    /// was licensed; a zero root when there is no such version or index (never reverts). What a
    /// settlement proves its contributors against.
    function lineageRoot(uint256 modelId, uint32 version, uint256 index) external view returns (bytes32 root, bool licensed) {
        ModelVersion storage v = _versions[modelId][version];
        if (index >= v.datanets.length) return (bytes32(0), false);
        return (v.datanets[index].root, v.licensed);
    }

    /// @notice The model's owner, or the zero address for an unknown model (never reverts).
    function modelOwner(uint256 modelId) external view returns (address) {
        return _models[modelId].owner;
    }

    /// @notice The id of the model with this exact name, or 0 when there is none.
    function modelIdByName(string calldata name) external view returns (uint256) {
        return _idByName[keccak256(bytes(name))];
    }

    function _existing(uint256 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
    }
}
